"""Pure domain logic: no boto3, httpx or fastapi imports and no environment reads."""
