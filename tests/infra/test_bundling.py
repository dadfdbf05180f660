"""Assets are built on this machine without Docker: code is copied, third-party wheels come from pip."""

import os
from pathlib import Path

from infra.constructs.bundling import LAMBDA_PLATFORM, CopyBundling, pip_command


def test_function_bundle_holds_only_its_family(tmp_path: Path) -> None:
    CopyBundling(
        {"functions/__init__.py": "functions/__init__.py", "functions/keys": "functions/keys"}
    ).try_bundle(str(tmp_path))
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")}
    assert "functions/keys/handler.py" in files and "functions/__init__.py" in files
    assert not any(f.startswith("functions/admin") for f in files)
    assert not list(tmp_path.rglob("__pycache__"))


def test_shared_layer_bundle_has_the_package_and_catalog_where_lambda_looks(tmp_path: Path) -> None:
    CopyBundling(
        {"python/empirio": "layers/empirio/python/empirio", "catalog/models.json": "catalog/models.json"}
    ).try_bundle(str(tmp_path))
    assert (tmp_path / "python/empirio/families.py").exists()
    assert (tmp_path / "catalog/models.json").exists()  # /opt/catalog/models.json on Lambda


def test_dependency_layer_uses_binary_wheels_for_lambda_arm64(tmp_path: Path) -> None:
    command = pip_command(Path("requirements.txt"), tmp_path)
    assert "--only-binary=:all:" in command and LAMBDA_PLATFORM in command
    assert command[command.index("--python-version") + 1] == "3.13"


def test_the_stripe_sdk_works_without_its_pruned_typing_params(tmp_path: Path) -> None:
    """The payments layer drops stripe/params (typing only): every Stripe call we make still works without it,
    against the fake Stripe, in a fresh interpreter that can only find the pruned copy of the SDK."""
    import shutil
    import subprocess
    import sys

    import stripe

    pruned = tmp_path / "python"
    shutil.copytree(
        Path(stripe.__file__).parent, pruned / "stripe", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.rmtree(pruned / "stripe" / "params")
    script = """
import sys, stripe
assert stripe.__file__.startswith(sys.argv[1]), stripe.__file__
from empirio.payments import Declined, Payments
from empirio_cli.fake_stripe import FakeStripe, RunningFakeStripe
fake = FakeStripe()
running = RunningFakeStripe(fake)
payments = Payments(fake.secret_key, fake.webhook_secret, running.url)
session = payments.checkout_payment(purchase_id="pur_1", account_id="acct_1", amount_cents=2500, fee_cents=30,
                                    success_url="http://x/ok", cancel_url="http://x/no")
fake.pay(session["id"], "4242424242424242")
paid = payments.session(session["id"])
assert paid["payment_status"] == "paid", paid
intent = payments.payment_intent(paid["payment_intent"])
assert intent["latest_charge"]["receipt_url"], intent
customer = payments.create_customer("acct_1", "a@example.com")
setup = payments.checkout_setup(account_id="acct_1", customer=customer["id"], success_url="http://x/ok",
                                cancel_url="http://x/no", attempt="a1")
fake.pay(setup["id"], "4000000000000002")
method = payments.setup_intent(payments.session(setup["id"])["setup_intent"])["payment_method"]
declined = payments.charge_saved_card(customer=customer["id"], payment_method=method, amount_cents=1000,
                                      metadata={"kind": "auto"}, idempotency_key="k1")
assert isinstance(declined, Declined) and declined.code == "card_declined", declined
body, signature = fake.signed(fake.events[0])
assert payments.event(body, signature)["type"] == "checkout.session.completed"
running.stop()
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script, str(pruned)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(pruned), *sys.path])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-2000:]
