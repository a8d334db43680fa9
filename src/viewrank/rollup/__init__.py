"""Events to daily rollups (day, title, country: seconds, sessions, distinct accounts): the
week loop every engine shares, the fast kernel over sorted parts, distinct-account sketches,
and the same step on Apache Spark."""
