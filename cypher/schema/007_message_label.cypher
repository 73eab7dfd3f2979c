// Schema 8: message steps carry the :Message label, which the search's full-text index covers
// (004). A graph written by an older version gets it once (never again after a version of 8
// or more is recorded), in batches.
// mode: write
// params:
OPTIONAL MATCH (m:GraphLayerSchema {name: 'graph_layer'})
WITH m WHERE m IS NULL OR m.version < 8
MATCH (s:Step) WHERE s.type ENDS WITH '_message' AND NOT s:Message
CALL (s) {
  SET s:Message
} IN TRANSACTIONS OF 10000 ROWS;
