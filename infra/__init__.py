"""DTQ deployment product: AWS CDK app, CodeDeploy revision and release CLI."""

import os

# jsii prints a banner about the Node version on every start; it is noise in synth and tests.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
