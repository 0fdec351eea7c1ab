from services.provincial_review.adapters.orm import metadata
from shared.migrations_env import run_env

run_env(metadata, "provincial_review")
