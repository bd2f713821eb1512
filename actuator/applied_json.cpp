#include "actuator/applied_json.h"

namespace adrg {

void write_applied_unit(JsonWriter& w, const AppliedUnit* unit) {
  w.key("applied").begin_object();
  if (unit != nullptr) {
    w.field("paused", unit->paused).field("pending", unit->pending);
    w.field("relief", unit->relief);
    w.key("files").begin_object();
    for (const auto& [file, value] : unit->files) w.field(file, value);
    w.end_object();
    w.key("errors").begin_object();
    for (const auto& [file, error] : unit->errors) w.field(file, error);
    w.end_object();
  }
  w.end_object();
  // A limit the user set is never loosened: both sides and what is in force.
  w.key("limits").begin_object();
  if (unit != nullptr) {
    for (const auto& [file, limit] : unit->limits) {
      w.key(file)
          .begin_object()
          .field("user", limit.user)
          .field("adrg", limit.adrg)
          .field("effective", limit.effective)
          .field("from", to_string(limit.source))
          .end_object();
    }
  }
  w.end_object();
}

}  // namespace adrg
