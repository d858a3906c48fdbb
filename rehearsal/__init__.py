"""Local rolling-update rehearsal of the CodeDeploy revision (infra/revision) under load."""
