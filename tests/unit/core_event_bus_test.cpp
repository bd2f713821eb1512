#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/event_bus.h"

namespace adrg {
namespace {

std::vector<std::string> jsons(const std::vector<BusEvent>& events) {
  std::vector<std::string> out;
  for (const BusEvent& event : events) out.push_back(event.json);
  return out;
}

TEST(EventBus, DeliversToEverySubscriberInOrderWithIncreasingSeq) {
  EventBus bus;
  std::vector<BusEvent> a, b;
  bus.subscribe([&](const BusEvent& e) { a.push_back(e); });
  bus.subscribe([&](const BusEvent& e) { b.push_back(e); });
  bus.publish(R"({"rule":"thermal","action":"pause"})");
  bus.publish(R"({"rule":"thermal","action":"resume"})");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(jsons(a), jsons(b));
  EXPECT_EQ(a[0].seq, 1u);
  EXPECT_EQ(a[1].seq, 2u);
  EXPECT_EQ(bus.last_seq(), 2u);
}

TEST(EventBus, LateSubscriberGetsTheRingThenNewEvents) {
  EventBus bus(3);
  for (int i = 1; i <= 5; ++i) bus.publish("{\"n\":" + std::to_string(i) + "}");
  ASSERT_EQ(bus.recent().size(), 3u);  // bounded: the oldest two fell out
  std::vector<BusEvent> got;
  bus.subscribe([&](const BusEvent& e) { got.push_back(e); });
  bus.publish("{\"n\":6}");
  EXPECT_EQ(jsons(got),
            (std::vector<std::string>{"{\"n\":3}", "{\"n\":4}", "{\"n\":5}", "{\"n\":6}"}));
  EXPECT_EQ(got.front().seq, 3u);
}

TEST(EventBus, ReplayCanBeSkippedOrResumedAfterASeq) {
  EventBus bus;
  for (int i = 1; i <= 4; ++i) bus.publish("{\"n\":" + std::to_string(i) + "}");
  std::vector<BusEvent> none, after2;
  bus.subscribe([&](const BusEvent& e) { none.push_back(e); }, false);
  bus.subscribe([&](const BusEvent& e) { after2.push_back(e); }, true, 2);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(jsons(after2), (std::vector<std::string>{"{\"n\":3}", "{\"n\":4}"}));
}

TEST(EventBus, UnsubscribeStopsDeliveryAndIdsAreUnique) {
  EventBus bus;
  int calls = 0;
  EventBus::Id first = bus.subscribe([&](const BusEvent&) { ++calls; });
  EventBus::Id second = bus.subscribe([](const BusEvent&) {});
  EXPECT_NE(first, 0u);
  EXPECT_NE(first, second);
  bus.publish("{}");
  bus.unsubscribe(first);
  bus.unsubscribe(first);  // twice is harmless
  bus.unsubscribe(12345);  // unknown is harmless
  bus.publish("{}");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.subscriber_count(), 1u);
}

TEST(EventBus, CallbacksMayUnsubscribeThemselvesAndOthersDuringPublish) {
  EventBus bus;
  EventBus::Id self_id = 0, other_id = 0;
  int self_calls = 0, other_calls = 0;
  self_id = bus.subscribe([&](const BusEvent&) {
    ++self_calls;
    bus.unsubscribe(self_id);
    bus.unsubscribe(other_id);
  });
  other_id = bus.subscribe([&](const BusEvent&) { ++other_calls; });
  bus.publish("{}");
  bus.publish("{}");
  EXPECT_EQ(self_calls, 1);
  EXPECT_EQ(other_calls, 0);  // removed before its turn in the same round
  EXPECT_EQ(bus.subscriber_count(), 0u);
}

TEST(EventBus, SubscriberAddedDuringPublishSeesThatEventExactlyOnce) {
  EventBus bus;
  std::vector<BusEvent> late;
  bool added = false;
  bus.subscribe([&](const BusEvent&) {
    if (added) return;
    added = true;
    bus.subscribe([&](const BusEvent& e) { late.push_back(e); });
  });
  bus.publish("{\"n\":1}");
  bus.publish("{\"n\":2}");
  EXPECT_EQ(jsons(late), (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}"}));
}

TEST(EventBus, PublishFromACallbackIsDelivered) {
  EventBus bus;
  std::vector<std::string> got;
  bus.subscribe([&](const BusEvent& e) {
    got.push_back(e.json);
    if (e.json == "{\"n\":1}") bus.publish("{\"n\":2}");
  });
  bus.publish("{\"n\":1}");
  EXPECT_EQ(got, (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}"}));
}

TEST(EventBus, LineBreaksBecomeSpacesSoAnEventIsOneSseLine) {
  EventBus bus;
  bus.publish("{\n  \"rule\": \"io\",\r\n  \"unit\": \"x\"\n}");
  ASSERT_EQ(bus.recent().size(), 1u);
  EXPECT_EQ(bus.recent().front().json.find('\n'), std::string::npos);
  EXPECT_EQ(bus.recent().front().json.find('\r'), std::string::npos);
  EXPECT_EQ(bus.recent().front().json, "{   \"rule\": \"io\",    \"unit\": \"x\" }");
}

TEST(EventBus, CapacityZeroIsTreatedAsOne) {
  EventBus bus(0);
  bus.publish("{\"n\":1}");
  bus.publish("{\"n\":2}");
  ASSERT_EQ(bus.recent().size(), 1u);
  EXPECT_EQ(bus.recent().front().json, "{\"n\":2}");
}

}  // namespace
}  // namespace adrg
