// Host tests for Core/IntrusiveList.h.

#include <Core/IntrusiveList.h>
#include <gtest/gtest.h>
#include <vector>

namespace {

struct Item {
    explicit Item(int item_value)
        : value(item_value)
    {
    }
    int value;
    Core::IntrusiveListNode<Item> first_list_node;
    Core::IntrusiveListNode<Item> second_list_node;
};

using FirstList = Core::IntrusiveList<Item, &Item::first_list_node>;
using SecondList = Core::IntrusiveList<Item, &Item::second_list_node>;

std::vector<int> forwards(const FirstList& list)
{
    std::vector<int> values;
    for (Item* item = list.first(); item; item = FirstList::next(*item))
        values.push_back(item->value);
    return values;
}

std::vector<int> backwards(const FirstList& list)
{
    std::vector<int> values;
    for (Item* item = list.last(); item; item = FirstList::previous(*item))
        values.push_back(item->value);
    return values;
}

} // namespace

TEST(IntrusiveList, PushesKeepOrderInBothDirections)
{
    Item one(1), two(2), three(3);
    FirstList list;
    EXPECT_TRUE(list.is_empty());
    list.push_back(two);
    list.push_back(three);
    list.push_front(one);
    EXPECT_EQ(forwards(list), (std::vector<int> { 1, 2, 3 }));
    EXPECT_EQ(backwards(list), (std::vector<int> { 3, 2, 1 }));
    EXPECT_EQ(list.size(), 3u);
    list.remove(one);
    list.remove(two);
    list.remove(three);
    EXPECT_TRUE(list.is_empty());
}

TEST(IntrusiveList, InsertAfterAndRemoveFromTheMiddle)
{
    Item one(1), two(2), three(3);
    FirstList list;
    list.push_back(one);
    list.push_back(three);
    list.insert_after(&one, two);
    EXPECT_EQ(forwards(list), (std::vector<int> { 1, 2, 3 }));
    list.remove(two);
    EXPECT_FALSE(two.first_list_node.is_linked());
    EXPECT_EQ(forwards(list), (std::vector<int> { 1, 3 }));
    EXPECT_EQ(backwards(list), (std::vector<int> { 3, 1 }));
    list.remove(three);
    EXPECT_EQ(list.last(), &one);
    list.remove(one);
    EXPECT_EQ(list.first(), nullptr);
    EXPECT_EQ(list.last(), nullptr);
}

TEST(IntrusiveList, AnElementCanBeOnTwoListsThroughTwoNodes)
{
    Item one(1), two(2);
    FirstList first;
    SecondList second;
    first.push_back(one);
    first.push_back(two);
    second.push_back(two);
    EXPECT_TRUE(first.contains(two));
    EXPECT_TRUE(second.contains(two));
    EXPECT_FALSE(second.contains(one));
    first.remove(two);
    EXPECT_TRUE(second.contains(two));
    EXPECT_EQ(second.first(), &two);
    second.remove(two);
    first.remove(one);
}

TEST(IntrusiveListDeathTest, MisuseIsCaught)
{
    Item one(1);
    FirstList list;
    FirstList other;
    list.push_back(one);
    EXPECT_DEATH(list.push_back(one), "VERIFY");
    EXPECT_DEATH(other.remove(one), "VERIFY");
    list.remove(one);
    EXPECT_DEATH(list.remove(one), "VERIFY");
}
