"""The serving database: the publish step (write, audit, atomic swap: `serving.publish.publish`),
read-only readers for people and dashboards (`serving.readers`), the marts' content checksum
(`serving.checksum`) and metric queries through the semantic layer (`serving.metrics`)."""
