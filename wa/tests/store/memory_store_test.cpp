// The device-store contract run against MemoryStore.
#include "wa/store/memory_store.hpp"

#include "store/store_contract.hpp"

namespace wa::store::contract {

struct MemoryStoreFactory {
  std::unique_ptr<DeviceStore> make() { return std::make_unique<MemoryStore>(); }
};

using MemoryImpls = ::testing::Types<MemoryStoreFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, DeviceStoreContract, MemoryImpls);

}  // namespace wa::store::contract
