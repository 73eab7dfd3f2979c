// Record the schema version this package applied (read back by schema/read_version).
// mode: write
// params:
MERGE (m:GraphLayerSchema {name: 'graph_layer'})
SET m.version = 9, m.appliedAt = datetime();
