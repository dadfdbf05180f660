"""People: the Cognito user pool that owns console passwords and codes, and the console's app client."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct


class People(Construct):
    """Self sign-up with email as the username, verified by a code; password sign-in only (no OAuth, no hosted
    UI); user-existence errors prevented; recovery by email only. Our console issues its own session after
    sign-in, so Cognito's tokens live one hour and are signed out at once."""

    def __init__(self, scope: Construct, id: str, *, prod: bool) -> None:
        super().__init__(scope, id)
        self.pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=8,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            user_verification=cognito.UserVerificationConfig(
                email_subject="Verify your EmpirioLabs email",
                email_body="Your EmpirioLabs verification code is {####}",
                email_style=cognito.VerificationEmailStyle.CODE,
            ),
            deletion_protection=prod,
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
        )
        self.client = self.pool.add_client(
            "ConsoleClient",
            user_pool_client_name="console",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )

    def environment(self) -> dict[str, str]:
        return {
            "EMPIRIO_USER_POOL_ID": self.pool.user_pool_id,
            "EMPIRIO_USER_POOL_CLIENT_ID": self.client.user_pool_client_id,
        }
