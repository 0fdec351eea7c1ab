from services.allowance_registry.adapters.orm import metadata
from shared.migrations_env import run_env

run_env(metadata, "allowance_registry")
