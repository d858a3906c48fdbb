"""What `python -m infra.release` and the rollout that `cdk deploy` starts share (rollout.py is
also the code of the rollout's Lambda function: standard library and boto3 only)."""
