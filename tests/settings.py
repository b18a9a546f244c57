"""Test settings: the product's settings, with state kept apart in var/test/."""

import os
from pathlib import Path

os.environ.setdefault(
    "STADTBOTE_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test")
)
os.environ.setdefault("STADTBOTE_TESTING", "1")

from stadtbote.settings import *  # noqa: F403

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Never a real language model in tests, whatever the developer's shell exports: the tests that
# need one start the local fake (tests/support/openai_fake.py).
STADTBOTE_ASSISTANT_LLM = None

# The assistant rebuilds a changed index in a background thread (service.knowledge); tests
# that roll back their data would then be answered from another test's index.
STADTBOTE_ASSISTANT_REBUILD_IN_BACKGROUND = False
