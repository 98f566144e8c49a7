#include "wa_store/sql_device_store.hpp"

#include <algorithm>

namespace gw::wa_store {

using wa::store::Address;
using wa::store::Bytes;
using wa::store::DeviceRecord;
using wa::store::Key32;
using wa::store::PreKey;
using wa::store::StoreErrc;
using wa::store::StoreError;
using wa::store::StoreResult;

namespace {

db::Blob blob(std::span<const std::uint8_t> b) {
  return db::Blob{std::string(reinterpret_cast<const char*>(b.data()), b.size())};
}
template <std::size_t N>
db::Blob blob(const std::array<std::uint8_t, N>& a) {
  return blob(std::span<const std::uint8_t>(a));
}
Bytes bytes_of(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

// A fixed-size key from a blob column; false when the stored length is wrong.
template <std::size_t N>
bool fixed(const std::string& s, std::array<std::uint8_t, N>& out) {
  if (s.size() != N) return false;
  std::copy(s.begin(), s.end(), out.begin());
  return true;
}

StoreError corrupt(std::string what) {
  return {StoreErrc::corrupt, std::move(what)};
}

int64_t dev(const Address& a) {
  return static_cast<int64_t>(a.device);
}

}  // namespace

SqlDeviceStore::SqlDeviceStore(db::Database& db, std::string session_id)
    : db_(db), session_id_(std::move(session_id)) {}

template <typename T, typename F>
StoreResult<T> SqlDeviceStore::run(F&& f) {
  try {
    if (tx_) return f(*tx_);
    return db_.with_connection([&](db::Connection& c) -> StoreResult<T> { return f(c); });
  } catch (const db::DbError& e) {
    return StoreError{StoreErrc::backend, e.what()};
  }
}

// A write outside transaction() is its own transaction when a fence is set, so that the fence's
// check and the write commit together.
template <typename T, typename F>
StoreResult<T> SqlDeviceStore::write(F&& f) {
  if (tx_ || !fence_) return run<T>(std::forward<F>(f));
  try {
    return db_.with_connection([&](db::Connection& c) -> StoreResult<T> {
      db::Transaction tx(c);
      fence_(c);
      auto r = f(c);
      if (r) tx.commit();
      return r;
    });
  } catch (const db::DbError& e) {
    return StoreError{StoreErrc::backend, e.what()};
  }
}

StoreResult<void> SqlDeviceStore::transaction(const std::function<StoreResult<void>()>& body) {
  auto scoped = [&](db::Connection& c) -> StoreResult<void> {
    const std::string sp = "wa_sp" + std::to_string(depth_);
    bool outer = depth_ == 0;
    if (outer) {
      c.begin();
      if (fence_) {
        try {
          fence_(c);
        } catch (...) {
          c.rollback();
          throw;
        }
      }
    } else {
      c.query("SAVEPOINT " + sp);
    }
    ++depth_;
    db::Connection* saved = tx_;
    tx_ = &c;
    StoreResult<void> result;
    try {
      result = body();
    } catch (...) {
      tx_ = saved;
      --depth_;
      if (outer) {
        c.rollback();
        lid_transaction_ended(false);
      } else {
        c.query("ROLLBACK TO SAVEPOINT " + sp);
        lid_savepoint_undone();
      }
      throw;
    }
    tx_ = saved;
    --depth_;
    if (result) {
      if (outer) {
        try {
          c.commit();
        } catch (...) {
          c.rollback();  // SQLite may keep the transaction open after a failed COMMIT
          lid_transaction_ended(false);
          throw;
        }
        lid_transaction_ended(true);
      } else {
        c.query("RELEASE SAVEPOINT " + sp);
      }
    } else {
      if (outer) {
        c.rollback();
        lid_transaction_ended(false);
      } else {
        c.query("ROLLBACK TO SAVEPOINT " + sp);
        c.query("RELEASE SAVEPOINT " + sp);
        lid_savepoint_undone();
      }
    }
    return result;
  };
  try {
    if (tx_) return scoped(*tx_);
    return db_.with_connection(scoped);
  } catch (const db::DbError& e) {
    return StoreError{StoreErrc::backend, e.what()};
  }
}

// --- device record -------------------------------------------------------------------------

StoreResult<std::optional<DeviceRecord>> SqlDeviceStore::load_device() {
  return run<std::optional<DeviceRecord>>([&](db::Connection& c)
                                              -> StoreResult<std::optional<DeviceRecord>> {
    auto r = c.query(
        "SELECT noise_pub, noise_priv, identity_pub, identity_priv, registration_id, "
        "signed_prekey_id, signed_prekey_pub, signed_prekey_priv, signed_prekey_sig, adv_secret, "
        "account, jid, lid, platform, business_name, push_name FROM wa_devices WHERE session_id = "
        "?",
        {session_id_});
    if (r.rows.empty()) return std::optional<DeviceRecord>{};
    const auto& row = r.rows[0];
    DeviceRecord d;
    bool ok = fixed(row.blob(0), d.noise_key.pub) && fixed(row.blob(1), d.noise_key.priv) &&
              fixed(row.blob(2), d.identity_key.pub) && fixed(row.blob(3), d.identity_key.priv) &&
              fixed(row.blob(6), d.signed_prekey.key.pub) &&
              fixed(row.blob(7), d.signed_prekey.key.priv) &&
              fixed(row.blob(8), d.signed_prekey.signature) && fixed(row.blob(9), d.adv_secret);
    if (!ok) return corrupt("device record: a key has the wrong length");
    d.registration_id = static_cast<std::uint32_t>(row.integer(4));
    d.signed_prekey.id = static_cast<std::uint32_t>(row.integer(5));
    d.account = bytes_of(row.blob(10));
    for (auto [col, target] : {std::pair{11, &d.jid}, std::pair{12, &d.lid}}) {
      if (auto text = row.opt_text(static_cast<size_t>(col))) {
        auto jid = wa::Jid::parse(*text);
        if (!jid) return corrupt("device record: bad JID " + *text);
        *target = *jid;
      }
    }
    d.platform = row.text(13);
    d.business_name = row.text(14);
    d.push_name = row.text(15);
    return std::optional<DeviceRecord>(std::move(d));
  });
}

StoreResult<void> SqlDeviceStore::save_device(const DeviceRecord& d) {
  return write<void>([&](db::Connection& c) -> StoreResult<void> {
    auto jid = d.jid ? db::Value(d.jid->to_string()) : db::Value(nullptr);
    auto lid = d.lid ? db::Value(d.lid->to_string()) : db::Value(nullptr);
    c.query(
        "INSERT INTO wa_devices (session_id, noise_pub, noise_priv, identity_pub, identity_priv, "
        "registration_id, signed_prekey_id, signed_prekey_pub, signed_prekey_priv, "
        "signed_prekey_sig, adv_secret, account, jid, lid, platform, business_name, push_name) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (session_id) DO UPDATE SET noise_pub = excluded.noise_pub, "
        "noise_priv = excluded.noise_priv, identity_pub = excluded.identity_pub, "
        "identity_priv = excluded.identity_priv, registration_id = excluded.registration_id, "
        "signed_prekey_id = excluded.signed_prekey_id, signed_prekey_pub = "
        "excluded.signed_prekey_pub, "
        "signed_prekey_priv = excluded.signed_prekey_priv, "
        "signed_prekey_sig = excluded.signed_prekey_sig, adv_secret = excluded.adv_secret, "
        "account = excluded.account, jid = excluded.jid, lid = excluded.lid, "
        "platform = excluded.platform, business_name = excluded.business_name, "
        "push_name = excluded.push_name",
        {session_id_, blob(d.noise_key.pub), blob(d.noise_key.priv), blob(d.identity_key.pub),
         blob(d.identity_key.priv), static_cast<int64_t>(d.registration_id),
         static_cast<int64_t>(d.signed_prekey.id), blob(d.signed_prekey.key.pub),
         blob(d.signed_prekey.key.priv), blob(d.signed_prekey.signature), blob(d.adv_secret),
         blob(d.account), jid, lid, d.platform, d.business_name, d.push_name});
    return {};
  });
}

StoreResult<void> SqlDeviceStore::wipe() {
  return transaction([&]() -> StoreResult<void> {
    return write<void>([&](db::Connection& c) -> StoreResult<void> {
      for (const char* table : {"wa_devices", "wa_prekeys", "wa_prekey_alloc", "wa_signal_sessions",
                                "wa_identities", "wa_sender_keys", "wa_lid_map"}) {
        c.query(std::string("DELETE FROM ") + table + " WHERE session_id = ?", {session_id_});
      }
      lid_forget();
      lid_pending_.clear();
      lid_dirty_ = true;
      return {};
    });
  });
}

// --- prekeys -------------------------------------------------------------------------------

StoreResult<std::optional<PreKey>> SqlDeviceStore::get_prekey(std::uint32_t id) {
  return run<std::optional<PreKey>>([&](db::Connection& c) -> StoreResult<std::optional<PreKey>> {
    auto r = c.query("SELECT pub, priv, uploaded FROM wa_prekeys WHERE session_id = ? AND id = ?",
                     {session_id_, static_cast<int64_t>(id)});
    if (r.rows.empty()) return std::optional<PreKey>{};
    PreKey k;
    k.id = id;
    if (!fixed(r.rows[0].blob(0), k.key.pub) || !fixed(r.rows[0].blob(1), k.key.priv)) {
      return corrupt("prekey " + std::to_string(id) + ": wrong key length");
    }
    k.uploaded = r.rows[0].integer(2) != 0;
    return std::optional<PreKey>(k);
  });
}

StoreResult<void> SqlDeviceStore::add_prekeys(std::span<const PreKey> keys, std::uint32_t next_id) {
  auto valid = [](std::uint32_t id) { return id >= 1 && id <= wa::store::kMaxPreKeyId; };
  if (!valid(next_id))
    return StoreError{StoreErrc::invalid_argument, "next prekey id out of range"};
  for (const auto& k : keys) {
    if (!valid(k.id)) return StoreError{StoreErrc::invalid_argument, "prekey id out of range"};
  }
  return transaction([&]() -> StoreResult<void> {
    return write<void>([&](db::Connection& c) -> StoreResult<void> {
      for (const auto& k : keys) {
        c.query(
            "INSERT INTO wa_prekeys (session_id, id, pub, priv, uploaded) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id, id) DO UPDATE SET pub = excluded.pub, priv = excluded.priv, "
            "uploaded = excluded.uploaded",
            {session_id_, static_cast<int64_t>(k.id), blob(k.key.pub), blob(k.key.priv),
             static_cast<int64_t>(k.uploaded ? 1 : 0)});
      }
      c.query(
          "INSERT INTO wa_prekey_alloc (session_id, next_id) VALUES (?, ?) "
          "ON CONFLICT (session_id) DO UPDATE SET next_id = excluded.next_id",
          {session_id_, static_cast<int64_t>(next_id)});
      return {};
    });
  });
}

StoreResult<std::uint32_t> SqlDeviceStore::next_prekey_id() {
  return run<std::uint32_t>([&](db::Connection& c) -> StoreResult<std::uint32_t> {
    auto r = c.query("SELECT next_id FROM wa_prekey_alloc WHERE session_id = ?", {session_id_});
    return r.rows.empty() ? 1u : static_cast<std::uint32_t>(r.rows[0].integer(0));
  });
}

StoreResult<std::vector<PreKey>> SqlDeviceStore::unuploaded_prekeys(std::size_t limit) {
  return run<std::vector<PreKey>>([&](db::Connection& c) -> StoreResult<std::vector<PreKey>> {
    auto r = c.query(
        "SELECT id, pub, priv FROM wa_prekeys WHERE session_id = ? AND NOT uploaded "
        "ORDER BY id LIMIT ?",
        {session_id_, static_cast<int64_t>(std::min<std::size_t>(limit, 1u << 24))});
    std::vector<PreKey> out;
    for (const auto& row : r.rows) {
      PreKey k;
      k.id = static_cast<std::uint32_t>(row.integer(0));
      if (!fixed(row.blob(1), k.key.pub) || !fixed(row.blob(2), k.key.priv)) {
        return corrupt("prekey " + std::to_string(k.id) + ": wrong key length");
      }
      out.push_back(k);
    }
    return out;
  });
}

StoreResult<void> SqlDeviceStore::mark_prekeys_uploaded(std::span<const std::uint32_t> ids) {
  return transaction([&]() -> StoreResult<void> {
    return write<void>([&](db::Connection& c) -> StoreResult<void> {
      for (auto id : ids) {
        c.query("UPDATE wa_prekeys SET uploaded = ? WHERE session_id = ? AND id = ?",
                {int64_t{1}, session_id_, static_cast<int64_t>(id)});
      }
      return {};
    });
  });
}

StoreResult<std::size_t> SqlDeviceStore::uploaded_prekey_count() {
  return run<std::size_t>([&](db::Connection& c) -> StoreResult<std::size_t> {
    auto r =
        c.query("SELECT COUNT(*) FROM wa_prekeys WHERE session_id = ? AND uploaded", {session_id_});
    return static_cast<std::size_t>(r.rows.at(0).integer(0));
  });
}

StoreResult<bool> SqlDeviceStore::remove_prekey(std::uint32_t id) {
  return write<bool>([&](db::Connection& c) -> StoreResult<bool> {
    return c.query("DELETE FROM wa_prekeys WHERE session_id = ? AND id = ?",
                   {session_id_, static_cast<int64_t>(id)})
               .affected > 0;
  });
}

// --- Signal sessions -----------------------------------------------------------------------

StoreResult<std::optional<Bytes>> SqlDeviceStore::get_session(const Address& a) {
  return run<std::optional<Bytes>>([&](db::Connection& c) -> StoreResult<std::optional<Bytes>> {
    auto r = c.query(
        "SELECT record FROM wa_signal_sessions WHERE session_id = ? AND name = ? AND device = ?",
        {session_id_, a.name, dev(a)});
    if (r.rows.empty()) return std::optional<Bytes>{};
    return std::optional<Bytes>(bytes_of(r.rows[0].blob(0)));
  });
}

StoreResult<void> SqlDeviceStore::put_session(const Address& a,
                                              std::span<const std::uint8_t> record) {
  return write<void>([&](db::Connection& c) -> StoreResult<void> {
    c.query(
        "INSERT INTO wa_signal_sessions (session_id, name, device, record) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (session_id, name, device) DO UPDATE SET record = excluded.record",
        {session_id_, a.name, dev(a), blob(record)});
    return {};
  });
}

StoreResult<bool> SqlDeviceStore::delete_session(const Address& a) {
  return write<bool>([&](db::Connection& c) -> StoreResult<bool> {
    return c.query(
                "DELETE FROM wa_signal_sessions WHERE session_id = ? AND name = ? AND device = ?",
                {session_id_, a.name, dev(a)})
               .affected > 0;
  });
}

StoreResult<std::size_t> SqlDeviceStore::delete_all_sessions(std::string_view name) {
  return write<std::size_t>([&](db::Connection& c) -> StoreResult<std::size_t> {
    return static_cast<std::size_t>(
        c.query("DELETE FROM wa_signal_sessions WHERE session_id = ? AND name = ?",
                {session_id_, std::string(name)})
            .affected);
  });
}

StoreResult<std::vector<std::uint32_t>> SqlDeviceStore::session_devices(std::string_view name) {
  return run<std::vector<std::uint32_t>>([&](db::Connection& c)
                                             -> StoreResult<std::vector<std::uint32_t>> {
    auto r = c.query(
        "SELECT device FROM wa_signal_sessions WHERE session_id = ? AND name = ? ORDER BY device",
        {session_id_, std::string(name)});
    std::vector<std::uint32_t> out;
    for (const auto& row : r.rows) out.push_back(static_cast<std::uint32_t>(row.integer(0)));
    return out;
  });
}

// --- identities ----------------------------------------------------------------------------

StoreResult<std::optional<Key32>> SqlDeviceStore::get_identity(const Address& a) {
  return run<std::optional<Key32>>([&](db::Connection& c) -> StoreResult<std::optional<Key32>> {
    auto r =
        c.query("SELECT key FROM wa_identities WHERE session_id = ? AND name = ? AND device = ?",
                {session_id_, a.name, dev(a)});
    if (r.rows.empty()) return std::optional<Key32>{};
    Key32 k{};
    if (!fixed(r.rows[0].blob(0), k))
      return corrupt("identity " + a.to_string() + ": wrong length");
    return std::optional<Key32>(k);
  });
}

StoreResult<void> SqlDeviceStore::put_identity(const Address& a, const Key32& key) {
  return write<void>([&](db::Connection& c) -> StoreResult<void> {
    c.query(
        "INSERT INTO wa_identities (session_id, name, device, key) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (session_id, name, device) DO UPDATE SET key = excluded.key",
        {session_id_, a.name, dev(a), blob(key)});
    return {};
  });
}

StoreResult<bool> SqlDeviceStore::delete_identity(const Address& a) {
  return write<bool>([&](db::Connection& c) -> StoreResult<bool> {
    return c.query("DELETE FROM wa_identities WHERE session_id = ? AND name = ? AND device = ?",
                   {session_id_, a.name, dev(a)})
               .affected > 0;
  });
}

StoreResult<std::size_t> SqlDeviceStore::delete_all_identities(std::string_view name) {
  return write<std::size_t>([&](db::Connection& c) -> StoreResult<std::size_t> {
    return static_cast<std::size_t>(
        c.query("DELETE FROM wa_identities WHERE session_id = ? AND name = ?",
                {session_id_, std::string(name)})
            .affected);
  });
}

// --- sender keys ---------------------------------------------------------------------------

StoreResult<std::optional<Bytes>> SqlDeviceStore::get_sender_key(
    const wa::store::SenderKeyName& n) {
  return run<std::optional<Bytes>>([&](db::Connection& c) -> StoreResult<std::optional<Bytes>> {
    auto r = c.query(
        "SELECT record FROM wa_sender_keys WHERE session_id = ? AND group_id = ? AND name = ? "
        "AND device = ?",
        {session_id_, n.group, n.sender.name, dev(n.sender)});
    if (r.rows.empty()) return std::optional<Bytes>{};
    return std::optional<Bytes>(bytes_of(r.rows[0].blob(0)));
  });
}

StoreResult<void> SqlDeviceStore::put_sender_key(const wa::store::SenderKeyName& n,
                                                 std::span<const std::uint8_t> record) {
  return write<void>([&](db::Connection& c) -> StoreResult<void> {
    c.query(
        "INSERT INTO wa_sender_keys (session_id, group_id, name, device, record) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, group_id, name, device) "
        "DO UPDATE SET record = excluded.record",
        {session_id_, n.group, n.sender.name, dev(n.sender), blob(record)});
    return {};
  });
}

StoreResult<bool> SqlDeviceStore::delete_sender_key(const wa::store::SenderKeyName& n) {
  return write<bool>([&](db::Connection& c) -> StoreResult<bool> {
    return c.query(
                "DELETE FROM wa_sender_keys WHERE session_id = ? AND group_id = ? AND name = ? "
                "AND device = ?",
                {session_id_, n.group, n.sender.name, dev(n.sender)})
               .affected > 0;
  });
}

// --- LID map -------------------------------------------------------------------------------

void SqlDeviceStore::lid_forget() {
  pn_of_lid_.clear();
  lid_of_pn_.clear();
}

bool SqlDeviceStore::lid_known(const wa::store::LidMapping& m) const {
  if (lid_dirty_) return false;
  auto a = pn_of_lid_.find(m.lid);
  auto b = lid_of_pn_.find(m.pn);
  return a != pn_of_lid_.end() && a->second == m.pn && b != lid_of_pn_.end() && b->second == m.lid;
}

// As the table does: a pair replaces any pair sharing its LID or its phone number.
void SqlDeviceStore::lid_remember(const wa::store::LidMapping& m) {
  if (auto a = pn_of_lid_.find(m.lid); a != pn_of_lid_.end()) lid_of_pn_.erase(a->second);
  if (auto b = lid_of_pn_.find(m.pn); b != lid_of_pn_.end()) pn_of_lid_.erase(b->second);
  if (pn_of_lid_.size() >= 100'000) lid_forget();  // bounded: a miss costs one statement
  pn_of_lid_[m.lid] = m.pn;
  lid_of_pn_[m.pn] = m.lid;
}

// A savepoint was rolled back: whatever it wrote of the map is gone, and so is the record of
// what it replaced, so nothing is known any more (the next reads and writes fill the cache).
void SqlDeviceStore::lid_savepoint_undone() {
  if (!lid_dirty_) return;
  lid_forget();
  lid_pending_.clear();
}

void SqlDeviceStore::lid_transaction_ended(bool committed) {
  if (committed) {
    for (const auto& m : lid_pending_) lid_remember(m);
  } else if (lid_dirty_) {
    lid_forget();  // rolled back after writing the map: the cache may hold what was replaced
  }
  lid_pending_.clear();
  lid_dirty_ = false;
}

StoreResult<void> SqlDeviceStore::put_lid_mappings(std::span<const wa::store::LidMapping> maps) {
  for (const auto& m : maps) {
    if (m.lid.empty() || m.pn.empty()) {
      return StoreError{StoreErrc::invalid_argument, "empty LID or phone-number user"};
    }
  }
  if (std::all_of(maps.begin(), maps.end(), [this](const auto& m) { return lid_known(m); }))
    return {};
  return transaction([&]() -> StoreResult<void> {
    return write<void>([&](db::Connection& c) -> StoreResult<void> {
      for (const auto& m : maps) {
        // A pair replaces any older pair sharing its LID or its phone number.
        c.query("DELETE FROM wa_lid_map WHERE session_id = ? AND (lid = ? OR pn = ?)",
                {session_id_, m.lid, m.pn});
        c.query("INSERT INTO wa_lid_map (session_id, lid, pn) VALUES (?, ?, ?)",
                {session_id_, m.lid, m.pn});
      }
      lid_dirty_ = true;
      lid_pending_.insert(lid_pending_.end(), maps.begin(), maps.end());
      return {};
    });
  });
}

StoreResult<std::optional<std::string>> SqlDeviceStore::pn_for_lid(std::string_view lid) {
  if (!lid_dirty_) {
    if (auto it = pn_of_lid_.find(std::string(lid)); it != pn_of_lid_.end())
      return std::optional<std::string>(it->second);
  }
  return run<std::optional<std::string>>(
      [&](db::Connection& c) -> StoreResult<std::optional<std::string>> {
        auto r = c.query("SELECT pn FROM wa_lid_map WHERE session_id = ? AND lid = ?",
                         {session_id_, std::string(lid)});
        if (r.rows.empty()) return std::optional<std::string>{};
        if (!lid_dirty_) lid_remember({std::string(lid), r.rows[0].text(0)});
        return std::optional<std::string>(r.rows[0].text(0));
      });
}

StoreResult<std::optional<std::string>> SqlDeviceStore::lid_for_pn(std::string_view pn) {
  if (!lid_dirty_) {
    if (auto it = lid_of_pn_.find(std::string(pn)); it != lid_of_pn_.end())
      return std::optional<std::string>(it->second);
  }
  return run<std::optional<std::string>>(
      [&](db::Connection& c) -> StoreResult<std::optional<std::string>> {
        auto r = c.query("SELECT lid FROM wa_lid_map WHERE session_id = ? AND pn = ?",
                         {session_id_, std::string(pn)});
        if (r.rows.empty()) return std::optional<std::string>{};
        if (!lid_dirty_) lid_remember({r.rows[0].text(0), std::string(pn)});
        return std::optional<std::string>(r.rows[0].text(0));
      });
}

}  // namespace gw::wa_store
