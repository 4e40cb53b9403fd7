"""What operators see: JSON logs with a correlation id and timings, Prometheus metrics, health."""
