"""What operators see of a running portal: logs (text or JSON, with a request id the web and
worker logs share), errors sent to Sentry with personal data scrubbed, and Prometheus metrics.
``setup.init_app`` wires them into the app."""
