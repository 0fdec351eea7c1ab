"""Tooling of the simulator, for test harnesses and operators: the ``ccer`` command line (run the
stack, mint tokens, dead letters, topology, migrations) and the scenario replay engine. It talks to
the services over REST and AMQP like any user and never imports a service."""
