// Fuzzes the handle table with arbitrary sequences of operations on two tables: user space
// picks every handle value and rights mask a system call passes, and any sequence must
// leave the tables consistent and doing exactly what a simple model (HandleTableModel.h)
// says. The input also decides when allocations fail. A broken invariant traps, so
// libFuzzer records the input like any other crash.
//
// Input: one byte for the slot limit (1 to 48), then operations, each an opcode byte
// followed by its operands; the run ends where the input does.

#include <Kernel/Objects/HandleTable.h>
#include <Tests/Host/FailingAllocator.h>
#include <Tests/Host/HandleTableModel.h>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <vector>

using ABI::HandleValue;
using ABI::ObjectType;
using ABI::Right;
using ABI::Rights;
using Core::ErrorCode;
using Kernel::Objects::HandleTable;
using Kernel::Objects::KernelObject;
using TestSupport::HandleTableModel;

namespace {

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

struct InputReader {
    const uint8_t* data;
    size_t size;

    bool read(void* destination, size_t length)
    {
        if (size < length)
            return false;
        std::memcpy(destination, data, length);
        data += length;
        size -= length;
        return true;
    }
};

constexpr ErrorCode success = ErrorCode::Count;

template<typename T> ErrorCode code_of(const Core::Result<T>& result)
{
    return result.is_error() ? result.error().code() : success;
}

// One table, its model, and what it takes to check it.
struct TableUnderTest {
    TableUnderTest(Core::u32 slot_limit, Core::Allocator& allocator)
        : table(slot_limit, allocator)
        , limit(slot_limit)
    {
    }

    // What an operation that creates a handle must report, from the model: the limit is
    // reached exactly when every slot is live, since no slot can retire within one input
    // (that takes 65535 closes of one slot).
    ErrorCode creation_error() const
    {
        return model.handles.size() == limit ? ErrorCode::OutOfRange : success;
    }

    HandleTable table;
    HandleTableModel model;
    Core::u32 limit;
};

class Run {
public:
    Run(InputReader& input, Core::u32 slot_limit, TestSupport::FailingAllocator& allocator,
        TestSupport::DestructionLog& log)
        : m_input(input)
        , m_allocator(allocator)
        , m_log(log)
        , m_tables { TableUnderTest(slot_limit, allocator), TableUnderTest(slot_limit, allocator) }
    {
    }

    void execute()
    {
        uint8_t opcode = 0;
        Core::u32 step = 0;
        while (m_input.read(&opcode, 1)) {
            TableUnderTest& target = m_tables[opcode & 1];
            TableUnderTest& other = m_tables[(opcode & 1) ^ 1];
            int failures_before = m_allocator.failures();
            bool completed = perform(opcode >> 1, target, other, failures_before);
            if (!completed)
                break;
            for (const TableUnderTest& checked : m_tables) {
                require(checked.table.handle_count() == checked.model.handles.size());
                require(checked.table.check_consistency());
            }
            if (++step % 32 == 0)
                check_lifetimes();
        }
        check_lifetimes();
        for (TableUnderTest& checked : m_tables) {
            for (const auto& [handle, entry] : checked.model.handles) {
                auto rights = checked.table.rights(handle);
                require(!rights.is_error() && rights.value() == entry.rights);
            }
        }
    }

private:
    template<typename Value> bool read(Value& value) { return m_input.read(&value, sizeof(value)); }

    // A handle to use: mostly a live one, sometimes one that was closed, sometimes any
    // 32-bit value from the input.
    bool read_handle(const TableUnderTest& target, HandleValue& handle)
    {
        uint8_t selector = 0;
        if (!read(selector))
            return false;
        const auto& model = target.model;
        if (selector < 192 && !model.handles.empty()) {
            auto entry = model.handles.begin();
            std::advance(entry, selector % model.handles.size());
            handle = entry->first;
            return true;
        }
        if (selector < 240 && !model.ever_issued.empty()) {
            auto entry = model.ever_issued.begin();
            std::advance(entry, selector % model.ever_issued.size());
            handle = *entry;
            return true;
        }
        return read(handle);
    }

    // Rights as a 16-bit mask, so that unknown bits (9 to 15) come up often.
    bool read_rights(Rights& rights)
    {
        uint16_t raw = 0;
        if (!read(raw))
            return false;
        rights = Rights::from_raw(raw);
        return true;
    }

    // A creation may fail with OutOfMemory exactly when the allocator refused during it.
    ErrorCode expected_creation_error(const TableUnderTest& target, int failures_before) const
    {
        ErrorCode expected = target.creation_error();
        if (expected == success && m_allocator.failures() != failures_before)
            return ErrorCode::OutOfMemory;
        return expected;
    }

    int new_object(bool is_event, Core::RefPtr<KernelObject>& reference)
    {
        int identity = m_log.add_object();
        if (is_event)
            reference = Core::try_make_ref_counted<TestSupport::LoggedEvent>(m_log, identity).release_value();
        else
            reference = Core::try_make_ref_counted<TestSupport::LoggedTimer>(m_log, identity).release_value();
        m_types.push_back(is_event ? ObjectType::Event : ObjectType::Timer);
        return identity;
    }

    bool perform(Core::u32 operation, TableUnderTest& target, TableUnderTest& other, int failures_before)
    {
        switch (operation % 10) {
        case 0: {
            uint8_t kind = 0;
            Rights rights;
            if (!read(kind) || !read_rights(rights))
                return false;
            Core::RefPtr<KernelObject> reference;
            int object = new_object(kind & 1, reference);
            auto result = target.table.add(reference, rights);
            ErrorCode expected = rights.is_valid() ? expected_creation_error(target, failures_before)
                                                   : ErrorCode::InvalidArgument;
            require(code_of(result) == expected);
            if (expected == success)
                require(target.model.issue(result.value(), object, rights, ABI::invalid_handle));
            return true;
        }
        case 1: {
            HandleValue handle = 0;
            Rights rights;
            if (!read_handle(target, handle) || !read_rights(rights))
                return false;
            auto found = target.model.handles.find(handle);
            // The top bit chooses: clear, the mask is cut down to a part of the handle's
            // rights, so that duplicates succeed often; set, the other 15 bits are asked
            // for as they are (wider rights, unknown bits).
            if (rights.raw() & 0x8000)
                rights = Rights::from_raw(rights.raw() & 0x7FFF);
            else if (found != target.model.handles.end())
                rights = rights.intersection(found->second.rights);
            auto result = target.table.duplicate(handle, rights);
            ErrorCode expected = success;
            if (found == target.model.handles.end())
                expected = ErrorCode::BadHandle;
            else if (!rights.is_valid())
                expected = ErrorCode::InvalidArgument;
            else if (!found->second.rights.contains(Right::Duplicate)
                || !rights.is_subset_of(found->second.rights))
                expected = ErrorCode::AccessDenied;
            else
                expected = expected_creation_error(target, failures_before);
            require(code_of(result) == expected);
            if (expected == success)
                require(target.model.issue(result.value(), found->second.object, rights, handle));
            return true;
        }
        case 2: {
            HandleValue handle = 0;
            if (!read_handle(target, handle))
                return false;
            bool known = target.model.contains(handle);
            require(code_of(target.table.close(handle)) == (known ? success : ErrorCode::BadHandle));
            if (known)
                target.model.remove(handle);
            return true;
        }
        case 3: {
            HandleValue handle = 0;
            if (!read_handle(target, handle))
                return false;
            bool known = target.model.contains(handle);
            auto result = target.table.revoke(handle);
            require(code_of(result) == (known ? success : ErrorCode::BadHandle));
            if (known) {
                auto subtree = target.model.subtree(handle);
                require(result.value() == subtree.size());
                for (HandleValue gone : subtree)
                    target.model.handles.erase(gone);
            }
            return true;
        }
        case 4:
            return transfer(target, other, failures_before);
        case 5: {
            HandleValue handle = 0;
            uint8_t flags = 0;
            Rights required;
            if (!read_handle(target, handle) || !read(flags) || !read_rights(required))
                return false;
            required = required.intersection(ABI::all_rights);
            bool as_event = flags & 1;
            auto found = target.model.handles.find(handle);
            ErrorCode expected = success;
            if (found == target.model.handles.end())
                expected = ErrorCode::BadHandle;
            else if ((m_types[found->second.object] == ObjectType::Event) != as_event)
                expected = ErrorCode::WrongType;
            else if (!found->second.rights.contains(required))
                expected = ErrorCode::AccessDenied;
            if (as_event) {
                auto result = target.table.lookup<TestSupport::LoggedEvent>(handle, required);
                require(code_of(result) == expected);
                require(expected != success || result.value()->identity() == found->second.object);
            } else {
                auto result = target.table.lookup<TestSupport::LoggedTimer>(handle, required);
                require(code_of(result) == expected);
                require(expected != success || result.value()->identity() == found->second.object);
            }
            return true;
        }
        case 6: {
            uint8_t countdown = 0;
            if (!read(countdown))
                return false;
            m_allocator.fail_allocation(1 + countdown % 4);
            return true;
        }
        case 7:
            target.table.close_all();
            target.model.handles.clear();
            return true;
        case 8: {
            uint8_t count = 0;
            if (!read(count))
                return false;
            return reserve_then_add(target, count % 8, failures_before);
        }
        default: {
            // Deliver or drop a handle in flight.
            if (m_in_flight.empty())
                return true;
            uint8_t choice = 0;
            if (!read(choice))
                return false;
            InFlight delivery = Core::move(m_in_flight[choice % m_in_flight.size()]);
            m_in_flight.erase(m_in_flight.begin() + choice % m_in_flight.size());
            if (choice & 0x80)
                return true;
            auto result = target.table.add(Core::move(delivery.entry.object), delivery.entry.rights);
            ErrorCode expected = expected_creation_error(target, failures_before);
            require(code_of(result) == expected);
            if (expected == success)
                require(target.model.issue(
                    result.value(), delivery.object, delivery.entry.rights, ABI::invalid_handle));
            return true;
        }
        }
    }

    // A channel's path: check, remove from one table, reserve in the other, add there. If
    // the receiver has no room, the handle stays in flight for a later delivery.
    bool transfer(TableUnderTest& sender, TableUnderTest& receiver, int failures_before)
    {
        HandleValue handle = 0;
        if (!read_handle(sender, handle))
            return false;
        auto found = sender.model.handles.find(handle);
        ErrorCode expected = success;
        if (found == sender.model.handles.end())
            expected = ErrorCode::BadHandle;
        else if (!found->second.rights.contains(Right::Transfer))
            expected = ErrorCode::AccessDenied;
        require(code_of(sender.table.check_transfer(handle)) == expected);
        auto removed = sender.table.remove_for_transfer(handle);
        require(code_of(removed) == expected);
        if (expected != success)
            return true;
        HandleTable::Entry entry = removed.release_value();
        require(entry.rights == found->second.rights);
        int object = found->second.object;
        sender.model.remove(handle);

        auto reserved = receiver.table.reserve(1);
        ErrorCode expected_reservation = expected_creation_error(receiver, failures_before);
        require(code_of(reserved) == expected_reservation);
        if (expected_reservation != success) {
            m_in_flight.push_back({ Core::move(entry), object });
            return true;
        }
        Rights rights = entry.rights;
        auto added = receiver.table.add(Core::move(entry.object), rights);
        require(!added.is_error());
        require(receiver.model.issue(added.value(), object, rights, ABI::invalid_handle));
        return true;
    }

    // Reserves room for `count` handles, then checks that that many adds succeed while
    // every allocation fails.
    bool reserve_then_add(TableUnderTest& target, Core::u32 count, int failures_before)
    {
        auto reserved = target.table.reserve(count);
        Core::u32 room = target.limit - static_cast<Core::u32>(target.model.handles.size());
        if (count > room) {
            require(code_of(reserved) == ErrorCode::OutOfRange);
            return true;
        }
        if (m_allocator.failures() != failures_before) {
            require(code_of(reserved) == ErrorCode::OutOfMemory);
            return true;
        }
        require(!reserved.is_error());
        m_allocator.fail_all(true);
        for (Core::u32 added = 0; added < count; ++added) {
            Core::RefPtr<KernelObject> reference;
            int object = new_object(true, reference);
            auto result = target.table.add(reference, Right::Read);
            require(!result.is_error());
            require(target.model.issue(result.value(), object, Right::Read, ABI::invalid_handle));
        }
        m_allocator.fail_all(false);
        return true;
    }

    // An object lives exactly while a handle or an entry in flight names it.
    void check_lifetimes() const
    {
        for (int object = 0; object < static_cast<int>(m_types.size()); ++object) {
            int holders = m_tables[0].model.handles_to(object) + m_tables[1].model.handles_to(object);
            for (const InFlight& flight : m_in_flight)
                holders += flight.object == object;
            require(m_log.destroyed(object) == (holders > 0 ? 0 : 1));
        }
    }

    struct InFlight {
        HandleTable::Entry entry;
        int object;
    };

    InputReader& m_input;
    TestSupport::FailingAllocator& m_allocator;
    TestSupport::DestructionLog& m_log;
    std::vector<ObjectType> m_types;
    std::vector<InFlight> m_in_flight;
    TableUnderTest m_tables[2];
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    InputReader input { data, size };
    uint8_t limit_byte = 0;
    if (!input.read(&limit_byte, 1))
        return 0;
    // Outlive the run: the tables give their storage back to the allocator, and the
    // objects log their destruction, when the run is destroyed.
    TestSupport::FailingAllocator allocator;
    TestSupport::DestructionLog log;
    {
        Run run(input, 1 + limit_byte % 48, allocator, log);
        run.execute();
    }
    // With the tables and the entries in flight gone, every object was destroyed once, and
    // every block of slot storage was given back.
    for (int count : log.counts)
        require(count == 1);
    require(allocator.outstanding() == 0);
    require(allocator.foreign_frees() == 0);
    return 0;
}
