"""RabbitMQ: topology, robust connection, outbox relay with confirms, inbox-guarded consumer."""
