"""DynamoDB adapters: the only code that imports boto3."""
