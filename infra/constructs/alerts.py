"""Alerts: the SNS topic every alarm and Auto Scaling notification goes to."""

from __future__ import annotations

from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class Alerts(Construct):
    """One topic per environment, TLS-only, with an optional e-mail subscription."""

    def __init__(self, scope: Construct, construct_id: str, *, env_name: str, email: str | None):
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self, "Topic", display_name=f"DTQ {env_name} alarms", enforce_ssl=True
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
