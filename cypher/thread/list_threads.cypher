// One sidebar page of a user's threads, newest activity first, after a keyset cursor
// (cursorTime, cursorId). A seek (hinted: never a scan, whatever the statistics say) of the
// (userId, lastActivity, id) index, in index order: cost follows the page.
// mode: read
// params: userId, cursorTime, cursorId, feedback, first
// returns: thread (timestamps as ISO strings: cheaper to decode than DateTime), userIdentifier
// values: plain
MATCH (t:Thread)
USING INDEX SEEK t:Thread(userId, lastActivity, id)
WHERE t.userId = $userId
  AND t.lastActivity <= $cursorTime
  AND t.id IS NOT NULL
  AND CASE WHEN t.lastActivity < $cursorTime THEN true ELSE t.id < $cursorId END
  AND ($feedback IS NULL
       OR EXISTS { (t)-[:CONTAINS]->(:Step)<-[:RATED]-(f:Feedback) WHERE f.value = $feedback })
WITH t
ORDER BY t.userId DESC, t.lastActivity DESC, t.id DESC
LIMIT $first + 1
OPTIONAL MATCH (u:User)-[:AUTHORED]->(t)
RETURN t {.*, createdAt: toString(t.createdAt), lastActivity: toString(t.lastActivity),
       lastMessageAt: toString(t.lastMessageAt)} AS thread,
       u.identifier AS userIdentifier
