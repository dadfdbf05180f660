"""Lambda entry point of the inference family for non-streaming invocations (tests, tools): Mangum.
In AWS the function runs `run.sh` (uvicorn) under the Lambda Web Adapter with RESPONSE_STREAM instead."""

from mangum import Mangum

from functions.inference.app import app

handler = Mangum(app, lifespan="off")
