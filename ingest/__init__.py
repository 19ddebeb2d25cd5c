"""Reading a shop's landing files: the contract (`ingest.contract`, the single source of the raw
schemas, enums and the dbt sources), the readers that enforce it, quarantine and the ingest log.

Interface: `ingest.contract` (ENTITIES, ENTITY_BY_NAME, the enums), `ingest.load.ingest_window`
(load a window of batch days of one entity; `FileRejected`), `ingest.reader.batch_days`.
"""
