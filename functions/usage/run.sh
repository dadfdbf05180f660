#!/bin/bash
# Lambda Web Adapter entry: uvicorn serves the usage app so the CSV export streams (Mangum would buffer it).
export PYTHONPATH="/opt/python:${LAMBDA_TASK_ROOT}:${PYTHONPATH}"
exec python -m uvicorn functions.usage.app:app --host 127.0.0.1 --port "${PORT:-8080}" \
  --no-access-log --timeout-keep-alive 75
