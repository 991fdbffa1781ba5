/**
 * Availability of many components in many locations in one statement.
 * Parameters: `@components` and `@locations`, JSON arrays of ids.
 * Rows: one per (root, location) with anything present; absent pairs are 0.
 *
 * ftrack's rule (a component with members is the mean of its members, one
 * without is 0 or 100) unrolls into a sum over the leaves below a component:
 * each present leaf adds 100 / w, where w is the product of the member counts
 * on its path. `tree` walks down from each requested component carrying w and
 * the node's own member count n (n = 0 marks a leaf). Each component has one
 * container, so the walk can only come back to the component it started from
 * (a malformed cycle): that member is not followed and counts as 0.
 *
 * `+cl.location_id` keeps the planner on the primary key (component_id, ...):
 * one probe per leaf instead of one per leaf and location, and never a scan
 * of a location's every component-location.
 */
export const AVAILABILITY_SQL = `
WITH RECURSIVE
  requested(id) AS (SELECT DISTINCT value FROM json_each(@components)),
  tree(root, id, w, n) AS (
    SELECT id, id, 1, (SELECT COUNT(*) FROM components c WHERE c.container_id = requested.id)
      FROM requested
    UNION ALL
    SELECT t.root, m.id, t.w * t.n, (SELECT COUNT(*) FROM components c WHERE c.container_id = m.id)
      FROM tree t JOIN components m ON m.container_id = t.id
      WHERE t.n > 0 AND m.id != t.root
  )
SELECT root, location_id, SUM(part) AS value FROM (
  SELECT t.root, cl.location_id, COUNT(*) * 100.0 / t.w AS part
    FROM tree t CROSS JOIN component_locations cl ON cl.component_id = t.id
    WHERE t.n = 0 AND +cl.location_id IN (SELECT value FROM json_each(@locations))
    GROUP BY t.root, cl.location_id, t.w
)
GROUP BY root, location_id`;
