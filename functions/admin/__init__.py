"""/admin/*: the operator's API (accounts, credits, keys, limits); IAM-authorized in AWS."""
