// Virtual MFA devices' codes and names: RFC 6238's TOTP (its appendix B test vectors, SHA-1,
// cut to the six digits authenticator apps show), RFC 4648's base32, which codes a device
// accepts (domain/iam/mfa.h: once each, within a step of its time), serial numbers, the
// otpauth:// URI AWS writes, and the QR code's PNG.
#include <gtest/gtest.h>

#include <string>

#include "common/qr_png.h"
#include "crypto/totp.h"
#include "domain/iam/mfa.h"

namespace arcana {
namespace {

using crypto::TotpCode;
using crypto::TotpStep;

// RFC 6238 appendix B's SHA-1 seed: the ASCII of "12345678901234567890".
const std::string kSeed = "12345678901234567890";

TEST(Totp, MatchesTheRfc6238VectorsCutToSixDigits) {
  // Time (s) -> the 8-digit value of appendix B; the 6-digit code is its last six digits.
  EXPECT_EQ(TotpCode(kSeed, TotpStep(59)), "287082");          // 94287082
  EXPECT_EQ(TotpCode(kSeed, TotpStep(1111111109)), "081804");  // 07081804
  EXPECT_EQ(TotpCode(kSeed, TotpStep(1111111111)), "050471");  // 14050471
  EXPECT_EQ(TotpCode(kSeed, TotpStep(1234567890)), "005924");  // 89005924
  EXPECT_EQ(TotpCode(kSeed, TotpStep(2000000000)), "279037");  // 69279037
  EXPECT_EQ(TotpCode(kSeed, TotpStep(20000000000)), "353130");  // 65353130
}

TEST(Totp, FindsTheLatestMatchingStepAndRefusesWhatIsNoCode) {
  const int64_t step = TotpStep(1111111111);
  EXPECT_EQ(crypto::FindTotpStep(kSeed, "050471", step - 3, step + 3), step);
  EXPECT_EQ(crypto::FindTotpStep(kSeed, "050471", step + 1, step + 3), std::nullopt);
  EXPECT_EQ(crypto::FindTotpStep(kSeed, "50471", step, step), std::nullopt);
  EXPECT_EQ(crypto::FindTotpStep(kSeed, "05047a", step, step), std::nullopt);
  EXPECT_EQ(crypto::FindTotpStep(kSeed, "0504711", step, step), std::nullopt);
}

TEST(Base32, EncodesAsRfc4648WithoutPadding) {
  EXPECT_EQ(crypto::Base32Encode(""), "");
  EXPECT_EQ(crypto::Base32Encode("f"), "MY");
  EXPECT_EQ(crypto::Base32Encode("fo"), "MZXQ");
  EXPECT_EQ(crypto::Base32Encode("foo"), "MZXW6");
  EXPECT_EQ(crypto::Base32Encode("foob"), "MZXW6YQ");
  EXPECT_EQ(crypto::Base32Encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(crypto::Base32Encode("foobar"), "MZXW6YTBOI");
  // AWS's seeds: 40 bytes, 64 characters.
  EXPECT_EQ(crypto::Base32Encode(std::string(40, '\xff')).size(), 64u);
}

TEST(MfaSerial, ParsesPathAndNameOfAVirtualDevice) {
  auto plain = domain::iam::ParseMfaSerial("arn:aws:iam::123456789012:mfa/alice-phone");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->account, "123456789012");
  EXPECT_EQ(plain->path, "/");
  EXPECT_EQ(plain->name, "alice-phone");
  auto nested = domain::iam::ParseMfaSerial("arn:aws:iam::123456789012:mfa/test//double/dev");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->path, "/test//double/");
  EXPECT_EQ(nested->name, "dev");
  domain::iam::MfaDevice d;
  d.account = "123456789012";
  d.path = "/test//double/";
  d.name = "dev";
  EXPECT_EQ(d.SerialNumber(), "arn:aws:iam::123456789012:mfa/test//double/dev");
  for (const char* bad : {"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:mfa/",
                          "arn:aws:iam:::mfa/x", "GAHT12345678", ""}) {
    EXPECT_FALSE(domain::iam::ParseMfaSerial(bad)) << bad;
  }
}

TEST(MfaCodes, EnableTakesTwoConsecutiveCodesNearNow) {
  const int64_t now = TotpStep(1700000000);
  const std::string c0 = TotpCode(kSeed, now - 1), c1 = TotpCode(kSeed, now);
  EXPECT_EQ(domain::iam::MatchConsecutiveCodes(kSeed, c0, c1, now, 10, 1), now);
  // Out of order, the same code twice, or too long ago: refused.
  EXPECT_EQ(domain::iam::MatchConsecutiveCodes(kSeed, c1, c0, now, 10, 1), std::nullopt);
  EXPECT_EQ(domain::iam::MatchConsecutiveCodes(kSeed, c1, c1, now, 10, 1), std::nullopt);
  const std::string old0 = TotpCode(kSeed, now - 20), old1 = TotpCode(kSeed, now - 19);
  EXPECT_EQ(domain::iam::MatchConsecutiveCodes(kSeed, old0, old1, now, 10, 1), std::nullopt);
  // A resync's wider window finds them, and so the drift.
  EXPECT_EQ(domain::iam::MatchConsecutiveCodes(kSeed, old0, old1, now, 2880, 2880), now - 19);
}

TEST(MfaCodes, AcceptsACodeOnceWithinAStepOfTheDevicesTime) {
  const int64_t now_s = 1700000000;
  const int64_t now = TotpStep(now_s);
  domain::iam::MfaDevice d;
  d.last_step = now - 5;
  for (int64_t delta : {-1, 0, 1}) {
    EXPECT_EQ(domain::iam::AcceptMfaCode(kSeed, d, TotpCode(kSeed, now + delta), now_s * 1000),
              now + delta);
  }
  EXPECT_EQ(domain::iam::AcceptMfaCode(kSeed, d, TotpCode(kSeed, now - 2), now_s * 1000),
            std::nullopt);
  EXPECT_EQ(domain::iam::AcceptMfaCode(kSeed, d, TotpCode(kSeed, now + 2), now_s * 1000),
            std::nullopt);
  // Once the current code was used, it and the one before are refused; the next is not.
  d.last_step = now;
  EXPECT_EQ(domain::iam::AcceptMfaCode(kSeed, d, TotpCode(kSeed, now), now_s * 1000),
            std::nullopt);
  EXPECT_EQ(domain::iam::AcceptMfaCode(kSeed, d, TotpCode(kSeed, now - 1), now_s * 1000),
            std::nullopt);
  EXPECT_EQ(domain::iam::AcceptMfaCode(kSeed, d, TotpCode(kSeed, now + 1), now_s * 1000),
            now + 1);
  // A device running two steps fast (measured by a resync) is followed.
  d.last_step = 0;
  d.drift_steps = 2;
  EXPECT_EQ(domain::iam::AcceptMfaCode(kSeed, d, TotpCode(kSeed, now + 2), now_s * 1000),
            now + 2);
}

TEST(MfaCodes, RunsOfWrongCodesLockTheDeviceForLongerEachTime) {
  const int64_t step_ms = 30 * 1000;
  const int64_t start = 1700000010LL * 1000;  // early in its step
  domain::iam::MfaDevice d;
  auto five_wrong = [&](int64_t at) {
    for (int64_t i = 0; i < domain::iam::kMaxWrongCodesPerStep; ++i) {
      EXPECT_FALSE(domain::iam::MfaCodesLocked(d, at)) << i;
      domain::iam::CountWrongMfaCode(d, at);
    }
    EXPECT_TRUE(domain::iam::MfaCodesLocked(d, at));
  };
  five_wrong(start);
  EXPECT_TRUE(domain::iam::MfaCodesLocked(d, start + 15 * 1000));  // the same step
  EXPECT_FALSE(domain::iam::MfaCodesLocked(d, start + step_ms));   // one step
  // The run goes on across steps: the next five lock it for two steps, then four, ...
  int64_t t = start + step_ms;
  for (int64_t lock : {2, 4, 8, 16, 32, 64, 120, 120}) {
    five_wrong(t);
    EXPECT_TRUE(domain::iam::MfaCodesLocked(d, t + (lock - 1) * step_ms)) << lock;
    t += lock * step_ms;
    EXPECT_FALSE(domain::iam::MfaCodesLocked(d, t)) << lock;
  }
  // A code accepted ends the run: the next wrong one counts from 1.
  domain::iam::ClearWrongMfaCodes(d);
  domain::iam::CountWrongMfaCode(d, t);
  EXPECT_EQ(d.failed_codes, 1);
  EXPECT_FALSE(domain::iam::MfaCodesLocked(d, t));
}

TEST(MfaDevice, OtpauthUriIsAwsFormWithTheAccountLabel) {
  EXPECT_EQ(domain::iam::OtpauthUri("alice+phone", "123456789012", "MZXW6YTBOI"),
            "otpauth://totp/Amazon%20Web%20Services:alice%2Bphone@123456789012"
            "?secret=MZXW6YTBOI&issuer=Amazon%20Web%20Services");
}

TEST(QrPng, DrawsAPngOfTheText) {
  auto png = QrCodePng("otpauth://totp/Amazon%20Web%20Services:dev@123456789012?secret=ABC");
  ASSERT_TRUE(png.ok()) << png.status().message();
  ASSERT_GT(png->size(), 100u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_FALSE(QrCodePng(std::string(8000, 'x')).ok());  // more than a QR code holds
}

}  // namespace
}  // namespace arcana
