#pragma once

// A doubly linked list whose links live inside the elements, so that linking and
// unlinking never allocate and removal from the middle is O(1). An element embeds one
// IntrusiveListNode per list it can be on and names it in the list's type:
//
//   struct Timer { IntrusiveListNode<Timer> queue_node; ... };
//   IntrusiveList<Timer, &Timer::queue_node> queue;
//
// Each node records the list it is on, so "is this element on that list" is a pointer
// compare and misuse (linking an element twice, removing it from the wrong list) is caught
// by VERIFY instead of corrupting two lists.

#include <Core/Assertions.h>
#include <Core/Types.h>

namespace Core {

template<typename T> class IntrusiveListNode {
public:
    constexpr IntrusiveListNode() = default;
    // A copy would be a second, stale member of the list.
    IntrusiveListNode(const IntrusiveListNode&) = delete;
    IntrusiveListNode& operator=(const IntrusiveListNode&) = delete;

    [[nodiscard]] bool is_linked() const { return m_list != nullptr; }

private:
    template<typename Element, IntrusiveListNode<Element> Element::*Member> friend class IntrusiveList;

    T* m_previous { nullptr };
    T* m_next { nullptr };
    const void* m_list { nullptr };
};

template<typename T, IntrusiveListNode<T> T::*Member> class IntrusiveList {
public:
    constexpr IntrusiveList() = default;
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    [[nodiscard]] T* first() const { return m_first; }
    [[nodiscard]] T* last() const { return m_last; }
    [[nodiscard]] usize size() const { return m_size; }
    [[nodiscard]] bool is_empty() const { return m_size == 0; }
    [[nodiscard]] bool contains(const T& element) const { return node(element).m_list == this; }

    [[nodiscard]] static T* next(const T& element) { return node(element).m_next; }
    [[nodiscard]] static T* previous(const T& element) { return node(element).m_previous; }

    // At the back: insert_after(last()), without its check that the position is on this
    // list (the last element is, by construction). Every wait record goes through here.
    void push_back(T& element)
    {
        IntrusiveListNode<T>& element_node = node(element);
        VERIFY(!element_node.is_linked());
        element_node.m_previous = m_last;
        element_node.m_next = nullptr;
        element_node.m_list = this;
        if (m_last)
            node(*m_last).m_next = &element;
        else
            m_first = &element;
        m_last = &element;
        ++m_size;
    }
    void push_front(T& element) { insert_after(nullptr, element); }

    // Links `element` right after `position` (at the front when `position` is null).
    void insert_after(T* position, T& element)
    {
        IntrusiveListNode<T>& element_node = node(element);
        VERIFY(!element_node.is_linked());
        VERIFY(!position || contains(*position));
        T* successor = position ? node(*position).m_next : m_first;
        element_node.m_previous = position;
        element_node.m_next = successor;
        element_node.m_list = this;
        if (position)
            node(*position).m_next = &element;
        else
            m_first = &element;
        if (successor)
            node(*successor).m_previous = &element;
        else
            m_last = &element;
        ++m_size;
    }

    void remove(T& element)
    {
        IntrusiveListNode<T>& element_node = node(element);
        VERIFY(element_node.m_list == this);
        if (element_node.m_previous)
            node(*element_node.m_previous).m_next = element_node.m_next;
        else
            m_first = element_node.m_next;
        if (element_node.m_next)
            node(*element_node.m_next).m_previous = element_node.m_previous;
        else
            m_last = element_node.m_previous;
        element_node.m_previous = nullptr;
        element_node.m_next = nullptr;
        element_node.m_list = nullptr;
        --m_size;
    }

private:
    static IntrusiveListNode<T>& node(T& element) { return element.*Member; }
    static const IntrusiveListNode<T>& node(const T& element) { return element.*Member; }

    T* m_first { nullptr };
    T* m_last { nullptr };
    usize m_size { 0 };
};

} // namespace Core
