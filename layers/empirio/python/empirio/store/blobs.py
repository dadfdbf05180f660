"""BlobStore: generated media kept in S3 (private, encrypted at rest, expired by the bucket's lifecycle rule)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from empirio.errors import ServiceUnavailableError


class BlobStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        except (ClientError, BotoCoreError) as error:
            raise ServiceUnavailableError(f"Could not store the result ({type(error).__name__}).") from None

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when it is gone (expired or deleted)."""
        try:
            body: bytes = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise ServiceUnavailableError("Could not read the stored result.") from None
        except BotoCoreError:
            raise ServiceUnavailableError("Could not read the stored result.") from None
        return body

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError):
            raise ServiceUnavailableError("Could not delete the stored result.") from None

    def uri(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"
