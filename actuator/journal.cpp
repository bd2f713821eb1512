#include "actuator/journal.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "core/fs.h"
#include "core/json_writer.h"

namespace adrg {

namespace {

constexpr std::string_view kFormat = "adrg-journal";
constexpr int kVersion = 1;

void append_escaped(std::string& out, std::string_view bytes) {
  append_json_string(out, bytes, /*escape_non_ascii=*/true);
}

// simdjson hands back UTF-8; our writer only ever produced code points <= U+00FF, each standing
// for one byte. Anything above that was not written by adrg.
Result<std::string> utf8_to_bytes(std::string_view utf8, std::string_view field) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    auto b = static_cast<unsigned char>(utf8[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
      continue;
    }
    // A two-byte sequence C2..C3 xx encodes U+0080..U+00FF: the one byte adrg escaped.
    if ((b == 0xc2 || b == 0xc3) && i + 1 < utf8.size()) {
      auto next = static_cast<unsigned char>(utf8[i + 1]);
      out += static_cast<char>(((b & 0x1fu) << 6) | (next & 0x3fu));
      ++i;
      continue;
    }
    return Error{std::make_error_code(std::errc::illegal_byte_sequence),
                 "corrupt journal: field \"" + std::string(field) +
                     "\" holds a character adrg never writes (above U+00FF)"};
  }
  return out;
}

Error corrupt(const std::string& what) {
  return Error{std::make_error_code(std::errc::bad_message), "corrupt journal: " + what};
}

Result<std::string> get_string(simdjson::dom::object obj, std::string_view field, bool required) {
  std::string_view sv;
  auto err = obj[field].get(sv);
  if (err == simdjson::NO_SUCH_FIELD) {
    if (required) return corrupt("entry without \"" + std::string(field) + "\"");
    return std::string();
  }
  if (err) return corrupt("field \"" + std::string(field) + "\" is not a string");
  return utf8_to_bytes(sv, field);
}

}  // namespace

std::string_view to_string(PauseVia via) {
  return via == PauseVia::kFreeze ? "cgroup.freeze" : "docker";
}

std::string journal_to_json(const JournalData& data, long long saved_at_unix) {
  std::string out;
  out += "{\"format\":";
  append_escaped(out, kFormat);
  out += ",\"version\":" + std::to_string(kVersion);
  out += ",\"saved_at\":" + std::to_string(saved_at_unix);
  if (!data.boot_id.empty()) {
    out += ",\"boot_id\":";
    append_escaped(out, data.boot_id);
  }
  out += ",\n\"overrides\":[";
  bool first = true;
  for (const auto& [key, entry] : data.overrides) {
    out += first ? "\n  {" : ",\n  {";
    first = false;
    out += "\"unit\":";
    append_escaped(out, key.unit_id);
    out += ",\"cgroup\":";
    append_escaped(out, key.cgroup_dir);
    out += ",\"file\":";
    append_escaped(out, key.file);
    out += ",\"device\":";
    append_escaped(out, key.device);
    out += ",\"original\":";
    append_escaped(out, entry.original);
    out += ",\"written\":";
    append_escaped(out, entry.written);
    out += "}";
  }
  out += "],\n\"pauses\":[";
  first = true;
  for (const auto& [key, pause] : data.pauses) {
    out += first ? "\n  {" : ",\n  {";
    first = false;
    out += "\"unit\":";
    append_escaped(out, pause.unit_id);
    out += ",\"name\":";
    append_escaped(out, pause.name);
    out += ",\"cgroup\":";
    append_escaped(out, pause.cgroup_dir);
    out += ",\"via\":";
    append_escaped(out, to_string(pause.via));
    out += "}";
  }
  out += "]}\n";
  return out;
}

Result<JournalData> parse_journal(std::string_view text) {
  if (trim(text).empty()) return corrupt("the file is empty (adrg never writes an empty journal)");
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root)) {
    return corrupt(std::string("not valid JSON (") + simdjson::error_message(err) +
                   "), probably cut short");
  }
  simdjson::dom::object obj;
  if (root.get(obj)) return corrupt("the top level is not an object");
  std::string_view format;
  if (obj["format"].get(format) || format != kFormat) {
    return corrupt("no \"format\":\"adrg-journal\" marker");
  }
  int64_t version = 0;
  if (obj["version"].get(version)) return corrupt("no numeric \"version\"");
  if (version > kVersion) {
    // Tolerant: a newer adrg may add fields; the ones read here keep their meaning.
    spdlog::warn("journal version {} is newer than this adrg ({}); reading what it knows", version,
                 kVersion);
  }
  JournalData data;
  if (auto boot = get_string(obj, "boot_id", false); boot) {
    data.boot_id = std::move(*boot);
  } else {
    return boot.error();
  }
  simdjson::dom::array overrides;
  if (obj["overrides"].get(overrides)) return corrupt("no \"overrides\" array");
  for (simdjson::dom::element el : overrides) {
    simdjson::dom::object entry;
    if (el.get(entry)) return corrupt("an override is not an object");
    JournalOverride o;
    auto unit = get_string(entry, "unit", true);
    auto dir = get_string(entry, "cgroup", true);
    auto file = get_string(entry, "file", true);
    auto device = get_string(entry, "device", false);
    auto original = get_string(entry, "original", true);
    auto written = get_string(entry, "written", false);
    for (auto* r : {&unit, &dir, &file, &device, &original, &written}) {
      if (!r->ok()) return r->error();
    }
    o.key = JournalKey{*unit, *dir, *file, *device};
    o.original = std::move(*original);
    o.written = std::move(*written);
    if (o.key.unit_id.empty() || o.key.cgroup_dir.empty() || o.key.file.empty()) {
      return corrupt("an override with an empty unit, cgroup or file");
    }
    data.overrides[o.key] = std::move(o);
  }
  simdjson::dom::array pauses;
  if (obj["pauses"].get(pauses)) return corrupt("no \"pauses\" array");
  for (simdjson::dom::element el : pauses) {
    simdjson::dom::object entry;
    if (el.get(entry)) return corrupt("a pause is not an object");
    auto unit = get_string(entry, "unit", true);
    auto name = get_string(entry, "name", false);
    auto dir = get_string(entry, "cgroup", false);
    auto via = get_string(entry, "via", true);
    for (auto* r : {&unit, &name, &dir, &via}) {
      if (!r->ok()) return r->error();
    }
    JournalPause p{*unit, *name, *dir, PauseVia::kFreeze};
    if (*via == to_string(PauseVia::kPauser)) {
      p.via = PauseVia::kPauser;
    } else if (*via != to_string(PauseVia::kFreeze)) {
      return corrupt("a pause with unknown \"via\":\"" + *via + "\"");
    }
    data.pauses[{p.unit_id, p.cgroup_dir}] = std::move(p);
  }
  return data;
}

Journal::Journal(std::string path, bool persistent, std::string boot_id)
    : path_(std::move(path)), persistent_(persistent), boot_id_(std::move(boot_id)) {
  data_.boot_id = boot_id_;
}

std::string read_boot_id(const std::string& proc_root) {
  auto text = read_text_file(join_path(proc_root, "sys/kernel/random/boot_id"));
  return text ? std::string(trim(*text)) : std::string();
}

Status Journal::load() {
  data_ = {};
  data_.boot_id = boot_id_;
  auto text = read_text_file(path_);
  if (!text) {
    if (text.error().code == std::errc::no_such_file_or_directory) return {};
    return text.error();
  }
  auto parsed = parse_journal(*text);
  if (parsed && !boot_id_.empty() && !parsed->boot_id.empty() && parsed->boot_id != boot_id_) {
    std::string aside = path_ + ".previous-boot";
    std::string where = "left in place (dry-run writes nothing)";
    if (persistent_) {
      where = ::rename(path_.c_str(), aside.c_str()) == 0
                  ? "moved aside to " + aside
                  : "could not be moved aside (" + Error::from_errno("rename").describe() + ")";
    }
    spdlog::warn(
        "journal {} is from an earlier boot ({}): its {} overrides and {} pauses died with that "
        "kernel, nothing to restore; {}",
        path_, parsed->boot_id, parsed->overrides.size(), parsed->pauses.size(), where);
    return {};
  }
  if (parsed) {
    data_ = std::move(*parsed);
    if (data_.boot_id.empty()) data_.boot_id = boot_id_;
    return {};
  }
  // Keep the evidence for a human and start empty: refusing to run would not bring the lost
  // originals back, and the next save must not overwrite the only copy.
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
  std::string aside = path_ + ".corrupt-" + stamp;
  struct stat st {};
  for (int i = 1; ::stat(aside.c_str(), &st) == 0; ++i) {
    aside = path_ + ".corrupt-" + stamp + "-" + std::to_string(i);
  }
  std::string where;
  if (!persistent_) {
    where = "left in place (dry-run writes nothing)";
  } else if (::rename(path_.c_str(), aside.c_str()) == 0) {
    where = "moved aside to " + aside;
  } else {
    where = "could not be moved aside (" + Error::from_errno("rename").describe() + ")";
  }
  return Error{parsed.error().code, "journal " + path_ + ": " + parsed.error().message + "; " +
                                        where +
                                        "; overrides it recorded cannot be restored "
                                        "automatically"};
}

Status Journal::save() const {
  if (!persistent_) return {};
  auto slash = path_.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto st = make_directories(path_.substr(0, slash), 0700); !st) return st;
  }
  return replace_file(path_, journal_to_json(data_, static_cast<long long>(std::time(nullptr))),
                      0600);
}

const JournalOverride* Journal::find(const JournalKey& key) const {
  auto it = data_.overrides.find(key);
  return it == data_.overrides.end() ? nullptr : &it->second;
}

void Journal::put(JournalOverride entry) {
  auto key = entry.key;
  data_.overrides[key] = std::move(entry);
}

bool Journal::erase(const JournalKey& key) { return data_.overrides.erase(key) > 0; }

void Journal::put_pause(JournalPause pause) {
  auto key = std::make_pair(pause.unit_id, pause.cgroup_dir);
  data_.pauses[key] = std::move(pause);
}

bool Journal::erase_pause(const std::string& unit_id, const std::string& cgroup_dir) {
  return data_.pauses.erase({unit_id, cgroup_dir}) > 0;
}

void Journal::erase_unit_dir(const std::string& unit_id, const std::string& cgroup_dir) {
  std::erase_if(data_.overrides, [&](const auto& kv) {
    return kv.first.unit_id == unit_id && kv.first.cgroup_dir == cgroup_dir;
  });
  data_.pauses.erase({unit_id, cgroup_dir});
}

}  // namespace adrg
