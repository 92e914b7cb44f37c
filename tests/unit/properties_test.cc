// Typed properties: defaults, type checks, and the unknown-key error listing valid keys.
#include <gtest/gtest.h>

#include "cuttle/error.h"
#include "cuttle/properties.h"

namespace cuttle {
namespace {

const std::vector<PropertyDescriptor> kDeclared = {
    {"mode", PropertyType::kString, "attached", "attached or detached"},
    {"max.concurrent", PropertyType::kInt, "0", "limit"},
    {"strict", PropertyType::kBool, "true", "check"},
    {"poll.interval", PropertyType::kDuration, "5s", "interval"},
    {"buffer", PropertyType::kSize, "1M", "buffer"},
};

TEST(Properties, DefaultsApplyWhenNotGiven) {
  Properties p(kDeclared, {});
  EXPECT_EQ(p.get_string("mode"), "attached");
  EXPECT_EQ(p.get_int("max.concurrent"), 0);
  EXPECT_TRUE(p.get_bool("strict"));
  EXPECT_EQ(p.get_duration("poll.interval"), std::chrono::seconds(5));
  EXPECT_EQ(p.get_size("buffer"), 1u << 20);
}

TEST(Properties, GivenValuesOverrideDefaults) {
  Properties p(kDeclared, {{"mode", "detached"}, {"poll.interval", "250ms"}, {"strict", "no"}});
  EXPECT_EQ(p.get_string("mode"), "detached");
  EXPECT_EQ(p.get_duration("poll.interval"), std::chrono::milliseconds(250));
  EXPECT_FALSE(p.get_bool("strict"));
}

TEST(Properties, UnknownKeyListsTheValidOnes) {
  try {
    Properties p(kDeclared, {{"mdoe", "x"}});
    FAIL();
  } catch (const InvalidArgument& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("unknown property 'mdoe'"), std::string::npos) << message;
    EXPECT_NE(message.find("mode, max.concurrent, strict, poll.interval, buffer"),
              std::string::npos)
        << message;
  }
}

TEST(Properties, BadValueNamesKeyAndType) {
  try {
    Properties p(kDeclared, {{"max.concurrent", "ten"}});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("max.concurrent (int)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Properties(kDeclared, {{"strict", "maybe"}}), InvalidArgument);
  EXPECT_THROW(Properties(kDeclared, {{"poll.interval", "5 parsecs"}}), InvalidArgument);
  EXPECT_THROW(Properties(kDeclared, {{"buffer", "-1"}}), InvalidArgument);
}

TEST(ParseDuration, UnitsAndOverflow) {
  EXPECT_EQ(parse_duration("90"), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(parse_duration("1d"), std::chrono::hours(24));
  EXPECT_THROW(parse_duration(""), InvalidArgument);
  EXPECT_THROW(parse_duration("99999999999999999999999d"), InvalidArgument);
  EXPECT_THROW(parse_duration("9999999999999999d"), InvalidArgument);
}

TEST(ParseSize, BinaryUnits) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("4K"), 4096u);
  EXPECT_EQ(parse_size("16MiB"), 16u << 20);
  EXPECT_EQ(parse_size("2G"), 2ULL << 30);
  EXPECT_THROW(parse_size("1Q"), InvalidArgument);
  EXPECT_THROW(parse_size("99999999999T"), InvalidArgument);
}

}  // namespace
}  // namespace cuttle
