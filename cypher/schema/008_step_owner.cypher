// Schema 9: every step of a thread with an owner carries the owner's id as userId, which the
// message search index holds beside the text (004). A graph written by an older version gets
// it once (never again after a version of 9 or more is recorded), in batches.
// mode: write
// params:
OPTIONAL MATCH (m:GraphLayerSchema {name: 'graph_layer'})
WITH m WHERE m IS NULL OR m.version < 9
MATCH (t:Thread)-[:CONTAINS]->(s:Step) WHERE t.userId IS NOT NULL AND s.userId IS NULL
CALL (t, s) {
  SET s.userId = t.userId
} IN TRANSACTIONS OF 10000 ROWS;
