// Neo4j Browser: answers rated thumbs-down, their thread, and the tool steps of that turn
// (red Step nodes with isError = true are failed calls).
// mode: read
// params: limit
:param limit => 10;
MATCH (f:Feedback {value: 0})-[r:RATED]->(answer:Step)<-[:PARENT_OF]-(run:Step)
MATCH c = (t:Thread)-[:CONTAINS]->(run)
WITH f, r, answer, run, c ORDER BY answer.createdAt DESC LIMIT $limit
OPTIONAL MATCH tools = (run)-[:PARENT_OF*]->(:Step {type: 'tool'})
MATCH a = (run)-[:PARENT_OF]->(answer)
RETURN c, a, f, r, tools
