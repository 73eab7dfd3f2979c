// One element, only if it belongs to the given thread, and the thread is not deleted (its
// content waits for thread/purge_deleted behind the tombstone).
// mode: read
// params: threadId, elementId
// returns: element (properties map)
MATCH (e:Element {id: $elementId})
WHERE e.threadId = $threadId AND NOT EXISTS { (:Deleted)-[:CONTAINS]->(e) }
RETURN properties(e) AS element
