// Neo4j Browser: answers rated thumbs-down, their thread, and the tool steps of that turn
// (red Step nodes with isError = true are failed calls).
// mode: read
// params: limit
:param limit => 10;
MATCH a = (run:Step)-[:PARENT_OF]->(answer:Step)<-[r:RATED]-(f:Feedback {value: 0})
MATCH c = (t:Thread)-[:CONTAINS]->(run)
WHERE NOT t:Deleted  // a deleted thread's content waits for its purge
WITH f, r, answer, a, run, c ORDER BY answer.createdAt DESC LIMIT $limit
OPTIONAL MATCH tools = (run)-[:PARENT_OF*]->(:Step {type: 'tool'})
RETURN c, a, f, r, tools
