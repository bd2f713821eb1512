// YAML::LoadAll with a bound. yaml-cpp 0.7 (Debian bookworm) loops forever on some malformed
// streams -- a lone "," is enough (jbeder/yaml-cpp#1040, fixed upstream after 0.8.0): its parser
// keeps reporting a new empty document without consuming input and LoadAll collects them until
// memory runs out. In adrg that took a typo in config.yaml to an OOM of the whole machine at
// start-up, on --check-config and on every reload. Found by tests/fuzz/fuzz_config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <vector>

namespace adrg {

// A config file has one document; a few more are read so the loader can point at the second.
inline constexpr std::size_t kMaxYamlDocuments = 16;

// The documents of `text`, as YAML::LoadAll returns them. Throws YAML::ParserException (like
// LoadAll does for bad syntax) when the stream holds more than max_documents documents, which
// is also what the endless loop looks like; the exception's mark is where the parser was stuck.
std::vector<YAML::Node> load_yaml_documents(const std::string& text,
                                            std::size_t max_documents = kMaxYamlDocuments);

}  // namespace adrg
