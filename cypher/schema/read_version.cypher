// The schema version recorded in the database, if any.
// mode: read
// params:
// returns: version
OPTIONAL MATCH (m:GraphLayerSchema {name: 'graph_layer'})
RETURN m.version AS version
