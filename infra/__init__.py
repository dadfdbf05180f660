"""The CDK app: the whole stack, built from the shared table specs and the route table."""
