-- One database per service (the services also create their own database if it is missing).
CREATE DATABASE ccer_new_ccer_registry;
CREATE DATABASE ccer_legacy_ccer_registry;
CREATE DATABASE ccer_allowance_registry;
CREATE DATABASE ccer_provincial_review;
