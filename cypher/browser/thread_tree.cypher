// Neo4j Browser: one thread as a tree (steps along PARENT_OF, with feedback and elements).
// Set the thread id, or leave it empty for the most recently active thread.
// mode: read
// params: threadId
:param threadId => '';
MATCH (t:Thread)
WHERE NOT t:Deleted AND (t.id = $threadId OR $threadId = '')
WITH t ORDER BY t.id = $threadId DESC, t.lastActivity DESC LIMIT 1
MATCH c = (t)-[:CONTAINS]->(root:Step)
WHERE NOT EXISTS { (:Step)-[:PARENT_OF]->(root) }
MATCH tree = (root)-[:PARENT_OF*0..]->(s:Step)
OPTIONAL MATCH rated = (s)<-[:RATED]-(:Feedback)
OPTIONAL MATCH shown = (s)-[:CONTAINS]->(:Element)
RETURN c, tree, rated, shown
