"""Code shared by the four services: contracts, messaging, persistence plumbing, time, auth, errors."""
