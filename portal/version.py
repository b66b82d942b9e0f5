"""The portal's version, named in Sentry releases and the metrics."""

VERSION = "0.1.0"
