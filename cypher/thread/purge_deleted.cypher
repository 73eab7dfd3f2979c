// Remove up to $batch steps and elements (and the steps' feedback) of one deleted thread still
// labelled :Purge (thread/delete_thread), locking it first as writers do; the thread's last
// batch also drops its remaining links and the label. One transaction per
// batch keeps each commit short; graph_layer.purge repeats it while `more` is true.
// mode: write
// params: batch
// returns: removed (nodes of content deleted), more (a thread still waits)
MATCH (t:Thread:Purge)
WITH t ORDER BY t.id LIMIT 1
SET t._lock = true
REMOVE t._lock
WITH t
CALL (t) {
  OPTIONAL MATCH (t)-[:CONTAINS]->(n)
  WITH n LIMIT $batch
  OPTIONAL MATCH (f:Feedback)-[:RATED]->(n)
  WITH collect(DISTINCT n) AS content, collect(DISTINCT f) AS feedback
  FOREACH (x IN feedback | DETACH DELETE x)
  FOREACH (x IN content | DETACH DELETE x)
  RETURN size(content) + size(feedback) AS removed
}
CALL (t) {
  WITH t WHERE NOT EXISTS { (t)-[:CONTAINS]->() }
  OPTIONAL MATCH (t)-[r]-()
  DELETE r
  REMOVE t:Purge, t:AnalyticsStale
}
RETURN removed, EXISTS { (:Purge) } AS more
