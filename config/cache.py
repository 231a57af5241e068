"""The database cache with an atomic `incr`, for django-ratelimit's counters when no Redis is configured.

django-ratelimit counts a request with `cache.add(key, 0)` and then `cache.incr(key)`. Django's
`DatabaseCache.incr` is `BaseCache.incr`: a `get`, then a `set`, in two statements; two requests at the same
moment both read 3 and both write 4, so a flood sent in parallel would pass the limit (django-ratelimit's
check E003 refuses the database cache for this reason). Here the read and the write are one transaction
that holds the row: `SELECT … FOR UPDATE` where the database has it (PostgreSQL); on SQLite the portal's
transactions are IMMEDIATE (config/settings.py), which takes the database's write lock at BEGIN, so the
read-modify-write of two processes runs one after the other.

Everything else (get, add, set, expiry, culling) is Django's. Production with Redis does not use this class
(settings: CACHE_URL); `make run` and a deployment without Redis do.
"""
import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now


class AtomicDatabaseCache(DatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('value')}, {quote_name('expires')} FROM {quote_name(self._table)} "
                f"WHERE {quote_name('cache_key')} = %s{lock}", [key])
            row = cursor.fetchone()
            if row is not None:
                expires = row[1]
                for converter in converters:
                    expires = converter(expires, expression, connection)
            if row is None or expires < tz_now():
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            cursor.execute(
                f"UPDATE {quote_name(self._table)} SET {quote_name('value')} = %s "
                f"WHERE {quote_name('cache_key')} = %s",
                [base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1"), key])
        return value
