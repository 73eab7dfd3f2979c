// Neo4j Browser: a user's threads, most recently active first, with their first message.
// mode: read
// params: user, limit
:param user => 'user0000@example.com';
:param limit => 25;
MATCH (u:User {identifier: $user})-[a:AUTHORED]->(t:Thread)
WITH u, a, t ORDER BY t.lastActivity DESC LIMIT $limit
OPTIONAL MATCH m = (t)-[:CONTAINS]->(s:Step {type: 'user_message'})
WHERE NOT EXISTS { (t)-[:CONTAINS]->(e:Step {type: 'user_message'}) WHERE e.createdAt < s.createdAt }
RETURN u, a, t, m
