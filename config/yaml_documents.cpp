#include "config/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>

#include <sstream>

namespace adrg {
namespace {

// Counts documents and remembers where the last one started; builds nothing.
class DocumentCounter final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    ++documents;
    last_start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::size_t documents = 0;
  YAML::Mark last_start = YAML::Mark::null_mark();
};

}  // namespace

std::vector<YAML::Node> load_yaml_documents(const std::string& text, std::size_t max_documents) {
  // First a pass that only counts, stopping at the bound; the same input then parses the same
  // way in LoadAll, which therefore ends too.
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentCounter counter;
  while (parser.HandleNextDocument(counter)) {
    if (counter.documents > max_documents) {
      throw YAML::ParserException(counter.last_start,
                                  "more than " + std::to_string(max_documents) +
                                      " documents, or a stray ',' or other character the parser "
                                      "cannot get past");
    }
  }
  return YAML::LoadAll(text);
}

}  // namespace adrg
