#!/bin/bash
# Lambda Web Adapter entry: uvicorn serves the same FastAPI app; the adapter streams its responses.
export PYTHONPATH="/opt/python:${LAMBDA_TASK_ROOT}:${PYTHONPATH}"
exec python -m uvicorn functions.inference.app:app --host 127.0.0.1 --port "${PORT:-8080}" \
  --no-access-log --timeout-keep-alive 75
