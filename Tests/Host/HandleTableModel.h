// What the handle-table tests and the handle-table fuzzer share: kernel objects that log
// their destruction, and a model of a table built on std containers that says what every
// operation should do.
//
// Free of GoogleTest, so that the fuzzer can use it too.

#pragma once

#include <ABI/Handle.h>
#include <ABI/ObjectType.h>
#include <ABI/Rights.h>
#include <Kernel/Objects/KernelObject.h>
#include <map>
#include <set>
#include <vector>

namespace TestSupport {

// One destruction counter per object identity, so a test can see which object died and
// that it died once.
struct DestructionLog {
    std::vector<int> counts;

    int add_object()
    {
        counts.push_back(0);
        return static_cast<int>(counts.size()) - 1;
    }
    int destroyed(int identity) const { return counts.at(identity); }
};

template<ABI::ObjectType Type> class LoggedObject final : public Kernel::Objects::TypedKernelObject<Type> {
public:
    LoggedObject(DestructionLog& log, int identity)
        : m_log(&log)
        , m_identity(identity)
    {
    }
    ~LoggedObject() override { ++m_log->counts.at(m_identity); }

    int identity() const { return m_identity; }

private:
    DestructionLog* m_log;
    int m_identity;
};

using LoggedEvent = LoggedObject<ABI::ObjectType::Event>;
using LoggedTimer = LoggedObject<ABI::ObjectType::Timer>;

// A handle table as std containers: each live handle with its object, rights and the
// handle it was duplicated from.
class HandleTableModel {
public:
    struct Handle {
        int object;
        ABI::Rights rights;
        ABI::HandleValue parent;
    };

    std::map<ABI::HandleValue, Handle> handles;
    // Every value the table ever handed out; none may be handed out twice.
    std::set<ABI::HandleValue> ever_issued;

    bool contains(ABI::HandleValue handle) const { return handles.count(handle) != 0; }

    // Records a new handle; false if the value was handed out before.
    bool issue(ABI::HandleValue handle, int object, ABI::Rights rights, ABI::HandleValue parent)
    {
        if (!ever_issued.insert(handle).second)
            return false;
        handles[handle] = { object, rights, parent };
        return true;
    }

    // Removes one handle (closed or transferred away); its children move up to its parent.
    void remove(ABI::HandleValue handle)
    {
        ABI::HandleValue parent = handles.at(handle).parent;
        for (auto& [value, entry] : handles) {
            if (entry.parent == handle)
                entry.parent = parent;
        }
        handles.erase(handle);
    }

    // The handle and everything derived from it, directly or through others.
    std::vector<ABI::HandleValue> subtree(ABI::HandleValue root) const
    {
        std::vector<ABI::HandleValue> found;
        for (const auto& [value, entry] : handles) {
            ABI::HandleValue ancestor = value;
            while (ancestor != ABI::invalid_handle && ancestor != root)
                ancestor = handles.at(ancestor).parent;
            if (ancestor == root)
                found.push_back(value);
        }
        return found;
    }

    int handles_to(int object) const
    {
        int count = 0;
        for (const auto& [value, entry] : handles)
            count += entry.object == object;
        return count;
    }
};

} // namespace TestSupport
