"""Lambda entry point of the billing family: the FastAPI app under Mangum (which decodes base64 bodies, so the
webhook verifies the exact bytes Stripe signed)."""

from mangum import Mangum

from functions.billing.app import app

handler = Mangum(app, lifespan="off")
