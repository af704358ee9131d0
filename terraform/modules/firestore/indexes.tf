# THE list of composite indexes the code queries, one entry per index, each naming the query it serves.
# tests/test_terraform.py compares this list with the queries it expects (and fails on extra or missing ones).
#
# Every collection lives under orgs/{org_id}/... (conversations/{id}/checkpoints one level deeper), so the
# collection id is the last path segment and every index has COLLECTION scope. Queries that filter or sort on
# one field only (equality or range + order on the same field) use Firestore's automatic single-field indexes
# and need no entry: shipments `status ==` (domain/trade.py, sorted in Python), usage `day >=` (credits.daily_usage), ingest records `root ==` (domain/ingest_records.py),
# warehouses order by `code`, checkpoints `checkpoint_id <` + order by `checkpoint_id` without a namespace,
# products `shortfall >` (low_stock) and `category ==` without a sort (names), api_keys `org_id ==` (list),
# stock `sku ==` without a sort (a product's available total, counted in a transaction), audit `id <` + order by
# `id` without an action (domain/audit.py).
# The knowledge-base vectors live in Vertex AI Vector Search (modules/vector_search), not in Firestore: no code
# calls find_nearest, so there is no Firestore vector index.
#
# Fields are written "path ASC|DESC" in the query's order: equality filters first, then the sort field.

locals {
  composite_indexes = [
    {
      # domain/orders.py OrderRepository.list(status=...): status == S [created_at range] order by created_at desc
      collection = "orders"
      fields     = ["status ASC", "created_at DESC"]
      query      = "OrderRepository.list: status == ? order by created_at desc"
    },
    {
      # domain/orders.py OrderRepository.list(channel=...): channel == C [created_at range] order by created_at desc
      collection = "orders"
      fields     = ["channel ASC", "created_at DESC"]
      query      = "OrderRepository.list: channel == ? order by created_at desc"
    },
    {
      # domain/orders.py OrderRepository.list(status=..., channel=...): both equalities, order by created_at desc;
      # also sales_summary's aggregation: channel == C, status in [...], created_at range, order by created_at desc
      collection = "orders"
      fields     = ["status ASC", "channel ASC", "created_at DESC"]
      query      = "OrderRepository.list: status == ? and channel == ? order by created_at desc; sales_summary"
    },
    {
      # domain/inventory.py levels_for_sku: stock where sku == X order by warehouse
      collection = "stock"
      fields     = ["sku ASC", "warehouse ASC"]
      query      = "Inventory.levels_for_sku: sku == ? order by warehouse"
    },
    {
      # domain/inventory.py movements: stock_movements where sku == X order by created_at desc limit N
      collection = "stock_movements"
      fields     = ["sku ASC", "created_at DESC"]
      query      = "Inventory.movements: sku == ? order by created_at desc"
    },
    {
      # domain/credits.py ledger(kind=...): ledger where kind == K order by created_at desc limit N
      collection = "ledger"
      fields     = ["kind ASC", "created_at DESC"]
      query      = "Credits.ledger: kind == ? order by created_at desc"
    },
    {
      # domain/catalog.py ProductRepository.list(category=...): products where category == C order by sku
      collection = "products"
      fields     = ["category ASC", "sku ASC"]
      query      = "ProductRepository.list: category == ? order by sku"
    },
    {
      # domain/checkpoints.py CheckpointRepository.newest_first: checkpoints of one conversation where ns == NS
      # [and checkpoint_id < BEFORE] order by checkpoint_id desc (LangGraph history, newest first)
      collection = "checkpoints"
      fields     = ["ns ASC", "checkpoint_id DESC"]
      query      = "FirestoreSaver.list: ns == ? [checkpoint_id < ?] order by checkpoint_id desc"
    },
    {
      # domain/audit.py AuditRepository.list(action=...): audit where action == A [and id < BEFORE] order by id
      # desc (an entry's id starts with its time: newest first, the id is the next page's cursor)
      collection = "audit"
      fields     = ["action ASC", "id DESC"]
      query      = "AuditRepository.list: action == ? [id < ?] order by id desc"
    },
  ]

  # Keyed "collection__field_order__..." (stable across reordering of the list).
  indexes = {
    for index in local.composite_indexes :
    join("__", concat([index.collection], [for f in index.fields : replace(lower(f), " ", "_")])) => {
      collection = index.collection
      fields = [for f in index.fields : {
        path  = split(" ", f)[0]
        order = split(" ", f)[1] == "ASC" ? "ASCENDING" : "DESCENDING"
      }]
    }
  }
}
